"""The Monday digest of a real week: the Saturday storm through the worker, then the digest on Telegram.

Everything real: ingest, worker, detector and counters in a private redis-server; the weekly
digest built from what they stored, saved as Markdown/HTML/PNG and sent with the real
python-telegram-bot client to the local Bot API double, in each recipient's language.
"""

from __future__ import annotations

from digest.recipients import ANNA, BEN, digest_yaml
from support import CONFIG_YAML, replay

from warner.config.loading import parse_config
from warner.core import ManualClock
from warner.detect.counters import BucketCounter
from warner.digest.schedule import DigestScheduler
from warner.digest.weekly import send_weekly_digest
from warner.scenarios import saturday_storm


async def test_the_storm_week_digest_is_saved_and_sent_to_each_recipient_in_their_language(
    redis, tokens, telegram, tmp_path
):
    config = parse_config(
        CONFIG_YAML + digest_yaml(telegram.base_url, tmp_path), "d.yaml"
    )
    await replay(redis, config, saturday_storm().mentions)
    counted = sum(
        c.mentions for c in await BucketCounter(redis, config.bucket, config.retention.buckets).read("kesselberg")
    )

    sent = []

    async def send(week: str) -> None:
        sent.append(await send_weekly_digest(redis, config, week))

    monday = ManualClock(1795417200.0)  # Monday 23 Nov 2026, 08:00 in Berlin
    brands = [b.name for b in config.brands]  # a first start after the storm: warner has data since then
    assert await DigestScheduler(redis, config.digest, send, monday, brands=brands).check() == "2026-W47"
    assert await DigestScheduler(redis, config.digest, send, monday, brands=brands).check() is None  # not twice

    assert [d.ok for d in sent[0].deliveries] == [True, True]
    files = sent[0].saved
    assert {p.name for p in files.values()} == {"digest-2026-W47.md", "digest-2026-W47.html", "digest-2026-W47.png"}
    markdown = files["md"].read_text(encoding="utf-8")
    assert "**Vorfälle:** 1 (🔴 1 kritisch)" in markdown and f"{counted:,}".replace(",", ".") in markdown
    assert files["png"].read_bytes().startswith(b"\x89PNG")

    photos, texts = telegram.calls_of("sendPhoto"), telegram.calls_of("sendMessage")
    assert [int(p["chat_id"]) for p in photos] == [ANNA, BEN]
    assert photos[0]["photo"].is_png and photos[0]["photo"].png_size[0] == 1200
    assert "Wochenbericht" in photos[0]["caption"] and "Weekly" in photos[1]["caption"]
    assert [int(t["chat_id"]) for t in texts] == [ANNA, BEN]
    assert "kesselberg:1" in texts[0]["text"] or "Kesselberg" in texts[0]["text"]
