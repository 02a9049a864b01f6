"""Same decisions on replay as live: what the worker raised early, ``warner detect`` finds at the close.

The live worker looks at every bucket while it fills (every three seconds here) and pages
as soon as the counts suffice; the replay (``detect_mentions``, what ``warner detect
--mentions`` runs) sees only closed buckets. Both must tell the same story: each episode's
start and severity, and each rise of its severity, at the same buckets.
"""

from __future__ import annotations

from clocked_worker import ANGRY, ClockedWorker, a_minute_ago, post
from structlog.testing import capture_logs

from warner.detect.offline import EpisodeStart, detect_mentions, episode_events
from warner.mention import Mention


def _mentions(minute: int) -> list[dict]:
    records = [post(1000 + i, minute - 1800 + 300 * i, text="Kesselberger Helles, schön kühl") for i in range(5)]
    # A crowd that starts late in a minute (eight posts in it, the rest in the next one) ...
    records += [post(second, minute + second) for second in range(52, 95)]
    # ... and, on the travel brand, six accounts posting the same accusations again and again.
    records += [
        post(2000 + i, minute + 20 + i, author=f"bot-{i % 6}", text=f"Bergblick Reisen {ANGRY[i % 4][11:]}")
        for i in range(60)
    ]
    return sorted(records, key=lambda r: r["created_at"])


async def test_the_worker_raising_early_and_the_replay_tell_the_same_story(redis, config):
    minute = a_minute_ago()
    records = _mentions(minute)
    worker = ClockedWorker(redis, config, minute)
    by_second: dict[int, list[dict]] = {}
    for r in records:  # what came in each three seconds, processed as it came
        by_second.setdefault(int(Mention.model_validate(r).created_at.timestamp()) // 3, []).append(r)
    with capture_logs() as logs:
        for second, batch in sorted(by_second.items()):
            await worker.send(batch, now=3 * second + 3)
    # A calm post on each brand a quarter of an hour later closes every bucket before it.
    calm = [post(3000, minute + 900, text="Kesselberger Helles, schön kühl"),
            post(3001, minute + 900, text="Bergblick Reisen, schöner Urlaub")]
    records += calm
    await worker.send(calm, now=minute + 900)
    live = sorted(
        (e.incident.brand, e.at, "start" if e.kind == "opened" else "change", e.incident.severity)
        for e in worker.events
        if e.kind in ("opened", "escalated")
    )

    replayed = detect_mentions([Mention.model_validate(r) for r in records], config.bucket, config)
    offline = sorted(
        (brand, e.start if isinstance(e, EpisodeStart) else e.at, "start" if isinstance(e, EpisodeStart) else "change",
         e.severity)
        for brand, decisions in replayed.items()
        for e in episode_events(decisions)
    )

    assert live == offline, (live, offline)
    assert ("kesselberg", minute + 60, "change", "critical") in live  # in the minute after it began ...
    assert [e["brand"] for e in logs if e["event"] == "episode_raised_early"] == ["kesselberg"]  # ... raised early
    assert not [e for e in live if e[0] == "bergblick" and e[3] != "info"]  # the flood paged nobody
