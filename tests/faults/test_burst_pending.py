"""Pending a fix in ``warner/detect/stage.py``: under backpressure the incident misses mentions its buckets hold.

Backpressure reorders arrivals: while one sender waits out a ``503``, the others get newer
mentions in, the worker processes them, and the detector closes every bucket that ended
``lateness`` (30 s of mention time) before the newest mention it has seen. The refused
mentions, accepted a moment later, are counted into buckets already judged — the counters are
exact (``test_burst.py``), the incident is not: it reported 2,400 to 3,725 of the 4,000 mentions
its eight buckets hold in three runs. Same root cause as ``test_worker_killed_pending.py``: counts
that land in a closed bucket never reach the episode or the incident.
"""

from __future__ import annotations

import pytest
from faults.books import incident_mismatches
from faults.test_burst import burst_through_backpressure

pytestmark = pytest.mark.timeout(60)


async def test_under_backpressure_the_incident_counts_every_mention_of_its_buckets(redis, config, tokens):
    after = await burst_through_backpressure(redis, config, tokens)
    assert [sender.ledger.refused for sender in after.senders] != [[]] * len(after.senders)
    assert await incident_mismatches(redis) == []
