"""The weekly digest of the storm week, end to end, on the 3-master cluster.

Figures come from per-brand keys (counters, negative terms, incidents) on different masters
and from the ``{incidents}`` index; the send claim is ``{digest}`` (slot 13156).
"""

from __future__ import annotations

import pytest
from digest.test_weekly_end_to_end import *  # the same test, against the cluster


@pytest.fixture
async def redis(cluster_worker_redis):
    yield cluster_worker_redis
