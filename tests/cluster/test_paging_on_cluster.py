"""The storm pages, escalates and stops on ack — end to end, on the 3-master cluster.

The worker, the detector, the pager's durable timers and the incident lifecycle all run on
the cluster; the brewery's keys, the timers and the ack codes are on three different masters.
"""

from __future__ import annotations

import pytest
from oncall.test_paging_end_to_end import (
    doubles,
    test_a_restart_mid_escalation_pages_the_next_level_on_time_and_once,
    test_storm_pages_escalates_to_sms_and_next_level_and_stops_on_ack,
)


@pytest.fixture
async def redis(cluster_worker_redis):
    yield cluster_worker_redis
