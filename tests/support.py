"""Test data and helpers shared by tests, fixtures and child processes (importable: tests/ is on pythonpath)."""

CONFIG_YAML = """
brands:
  - name: kesselberg
    display_name: Brauerei Kesselberg
    aliases: ["Kesselberg", "Kesselberger", "@kesselberg_bier"]
    exclude: ["Kesselberg-Tunnel"]
  - name: bergblick
    aliases: ["Bergblick Reisen"]
bucket: 1m
ingest:
  max_body_bytes: 65536
  max_mentions_per_request: 1000
  max_backlog: 10000
  retry_after: 7s
  sources:
    - name: webhook
      token_env: TEST_TOKEN_WEBHOOK
    - name: forum
      token_env: TEST_TOKEN_FORUM
worker:
  batch_size: 50
  block: 50ms
  claim_idle: 300ms
  max_deliveries: 3
"""

TOKENS = {"TEST_TOKEN_WEBHOOK": "webhook-secret-token", "TEST_TOKEN_FORUM": "forum-secret-token"}
TELEGRAM_TOKEN = "123456:test-token"  # TEST_TELEGRAM_TOKEN of the ``telegram`` fixture (tests/conftest.py)


async def replay(redis, config, records, hooks=()) -> None:  # type: ignore[no-untyped-def]
    """Send records through ingest (as the webhook source) and let a worker process all of them."""
    import time

    from warner.ingest.accept import append, resolve
    from warner.ingest.brands import BrandMatcher
    from warner.mention import Mention
    from warner.metrics import Metrics
    from warner.service import build_worker
    from warner.store.streams import MentionStream

    mentions = [Mention.model_validate(r) for r in records]
    resolved = resolve(mentions, "webhook", config, BrandMatcher(config.brands))
    for i in range(0, len(resolved), 500):
        await append(MentionStream(redis), resolved[i : i + 500], config, int(time.time() * 1000))
    await build_worker(config, redis, Metrics(), hooks=hooks).drain()
