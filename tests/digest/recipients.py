"""The digest's recipients as the digest tests configure them: Anna (German) and Ben (English)
on Telegram, against the Bot API double."""

ANNA, BEN = 1001, 1002

DIGEST_YAML = """
oncall:
  people:
    - {{id: anna, name: Anna, telegram_id: {anna}}}
    - {{id: ben, name: Ben, telegram_id: {ben}, language: en}}
notify:
  telegram: {{token_env: TEST_TELEGRAM_TOKEN, base_url: "{telegram}"}}
digest:
  recipients: [anna, ben]
"""


def digest_yaml(telegram_url: str, out: object | None = None) -> str:
    """The recipients' config section, reports saved under ``out`` when given."""
    text = DIGEST_YAML.format(anna=ANNA, ben=BEN, telegram=telegram_url)
    return text + (f'  out_dir: "{out}"\n' if out is not None else "")
