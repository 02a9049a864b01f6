"""The durable timers and the escalation engine's own tests, run again on the 3-master cluster.

Their scripts touch ``{timers}`` keys only, the per-person page ceiling ``{oncall}``, the
incident's response, timeline and escalation hash its brand's tag; the timers live on
another master than the brewery's incidents (slot 669 vs 9045).
"""

from __future__ import annotations

import pytest
from oncall.test_escalation import *  # the same tests, against the cluster
from oncall.test_timers import *


@pytest.fixture
async def redis(cluster_redis):
    yield cluster_redis
