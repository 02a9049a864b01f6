"""Early judgment in the worker: a crowd turning on a brand is paged before its bucket closes,
a flood of a few accounts is not, and the bucket's close announces nothing twice.

The worker runs as in the service (score, count, detect) on mentions sent through ingest; the
detect stage's clock is set by the test, so "the open bucket" is whichever minute the test says.
"""

from __future__ import annotations

from datetime import datetime

from clocked_worker import ClockedWorker, a_minute_ago, post
from structlog.testing import capture_logs

from warner.incidents.store import IncidentStore


async def test_a_crowd_of_new_people_pages_before_its_bucket_closes_and_the_close_pages_nobody_again(
    redis, config
):
    minute = a_minute_ago()
    worker = ClockedWorker(redis, config, minute)
    with capture_logs() as logs:
        for second in range(5, 25):  # one angry post a second from a new person
            await worker.send([post(second, minute + second)], now=minute + second + 0.5)
    raised = [e for e in logs if e["event"] == "episode_raised_early"]
    assert raised and raised[0]["severity"] == "critical" and raised[0]["brand"] == "kesselberg"
    pages = worker.pages()
    assert [(e.kind, e.incident.severity) for e in pages] == [("opened", "critical")]
    paged_at = next(e["at"] for e in raised)
    assert datetime.fromisoformat(paged_at).timestamp() - (minute + 5) <= 15  # seconds after the first post

    # The minute closes (its end and the lateness), and the next one is judged too: no second page.
    for second in range(25, 40):
        await worker.send([post(second, minute + second)], now=minute + second + 0.5)
    await worker.send([post(99, minute + 100, text="Kesselberger Helles, ganz normal")], now=minute + 100)
    await worker.stage.tick()
    assert [(e.kind, e.incident.severity) for e in worker.pages()] == [("opened", "critical")]
    stored = await IncidentStore(redis).get("kesselberg", pages[0].incident.number)
    assert stored is not None and stored.severity == "critical" and stored.started_at == minute
    assert stored.mentions >= 35  # the close counted the whole minute into the incident


async def test_a_flood_of_a_few_accounts_posting_again_and_again_does_not_page_early(redis, config):
    minute = a_minute_ago()
    worker = ClockedWorker(redis, config, minute)
    bots = [f"bot-{i}" for i in range(6)]
    with capture_logs() as logs:
        for second in range(5, 50):  # more angry posts a minute than the crowd above, from six accounts
            await worker.send([post(second, minute + second, author=bots[second % len(bots)])],
                              now=minute + second + 0.5)
    assert [e for e in logs if e["event"] == "episode_raised_early"] == []
    assert worker.pages() == []


async def test_a_crowd_that_starts_late_in_a_minute_pages_from_the_next_one_before_either_closes(
    redis, config
):
    minute = a_minute_ago()
    worker = ClockedWorker(redis, config, minute)
    with capture_logs() as logs:
        for second in range(52, 80):  # eight posts in the first minute, the rest in the next
            await worker.send([post(second, minute + second)], now=minute + second + 0.5)
    raised = [e for e in logs if e["event"] == "episode_raised_early"]
    assert raised, "no early page"
    assert datetime.fromisoformat(raised[0]["at"]).timestamp() < minute + 60 + 30  # the first minute still open
    kinds = [(e.kind, e.incident.severity, e.at) for e in worker.events]
    # The episode began in the first minute (as its close will say), and was raised in the second.
    assert kinds[0][0] == "opened" and kinds[0][2] == minute
    assert [k for k in kinds if k[1] in ("warning", "critical")][0][2] == minute + 60
