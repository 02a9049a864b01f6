"""The incident lifecycle's and the SMS ack codes' own tests, run again on the 3-master cluster.

A transition is one script over the incident's response, timeline and re-opens (one brand
tag); an ack code and its "issued" marker share ``{acks}`` (a third master, slot 13433).
"""

from __future__ import annotations

import pytest
from incidents.test_lifecycle import *  # the same tests, against the cluster
from notify.test_sms_ack_codes import *


@pytest.fixture
async def redis(cluster_redis):
    yield cluster_redis
