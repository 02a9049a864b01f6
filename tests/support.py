"""Test data shared by fixtures and child processes (importable: tests/ is on pythonpath)."""

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
