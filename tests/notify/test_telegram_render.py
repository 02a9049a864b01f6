"""The alert text, the signed buttons and the Telegram config — no network."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from warner.core import Recipient
from warner.incidents.model import Incident, TopMention
from warner.notify.base import Page
from warner.notify.telegram.config import TelegramConfig, TelegramSecretError
from warner.notify.telegram.keyboard import (
    CallbackSigner,
    ForgedCallback,
    MalformedCallback,
    StaleCallback,
    incident_keyboard,
)
from warner.notify.telegram.render import render_page, volume_line, with_state_line

SATURDAY_1950 = 1795287000  # Sa 21.11.2026 19:50 Europe/Berlin
BRANDS = {"kesselberg": "Brauerei Kesselberg"}


def storm(**changes) -> Incident:
    fields = dict(
        brand="kesselberg", number=12, status="open", severity="critical", started_at=SATURDAY_1950,
        updated_at=SATURDAY_1950 + 600, mentions=1382, expected=51.2, negatives=442,
        top=[
            TopMention("t1", "Nie wieder Kesselberg! <script>alert(1)</script> & Co", SATURDAY_1950, 1_234_567,
                       author="@bierfan", url="https://social.example/p/1?a=1&b=2"),
            TopMention("t2", "Die Brauerei schweigt  seit\nStunden", SATURDAY_1950, 12_300, author="@anna",
                       url='https://x.example/"><b>böse</b>'),
            TopMention("t3", "x" * 500, SATURDAY_1950, 800, url="javascript:alert(1)"),
            TopMention("t4", "the fourth is not shown", SATURDAY_1950, 5),
        ],
    )  # fmt: skip
    fields.update(changes)
    return Incident(**fields)


def page(language="de", **changes) -> Page:
    recipient = Recipient("anna", "Anna", language=language, telegram_id=1001)
    return Page(**{"incident": storm(), "recipient": recipient, "kind": "new", "ack_code": "4711", **changes})


def test_german_alert_says_how_loud_how_negative_since_when():
    text = render_page(page(), BRANDS)
    assert text.startswith("<b>🔴 KRITISCH · Brauerei Kesselberg</b>")
    assert "1.382 Erwähnungen in 11 Minuten, sonst etwa 51" in text
    assert "32 % negativ" in text
    assert "seit 19:50 (Sa 21.11.)" in text
    assert "Vorfall <code>kesselberg:12</code>" in text


def test_english_alert_uses_english_words_and_numbers():
    text = render_page(page("en"), BRANDS)
    assert text.startswith("<b>🔴 CRITICAL · Brauerei Kesselberg</b>")
    assert "1,382 mentions in 11 minutes, usually about 51" in text
    assert "32% negative" in text
    assert "since 19:50 (Sat 21 Nov)" in text
    assert "reach 1.2M" in text and "reach 12,300" in text


def test_a_burst_against_a_near_silent_baseline_says_how_many_in_how_long_and_what_is_usual():
    burst = storm(mentions=48, expected=0.24, updated_at=SATURDAY_1950, severity="warning")
    de = render_page(page(incident=burst), BRANDS)
    en = render_page(page("en", incident=burst), BRANDS)
    assert "🟠 WARNUNG" in de and "48 Erwähnungen in 1 Minute, sonst etwa 0,2" in de
    assert "48 mentions in 1 minute, usually about 0.2" in en
    assert "×" not in de + en and "statt" not in de and "instead of" not in en


@pytest.mark.parametrize(
    ("mentions", "expected", "span_s", "de", "en"),
    [
        (48, 1.17, 0, "48 Erwähnungen in 1 Minute, sonst etwa 1,2", "48 mentions in 1 minute, usually about 1.2"),
        (1, 0.01, 9000, "1 Erwähnung in 2,5 Stunden, sonst fast keine", "1 mention in 2.5 hours, usually almost none"),
        (12_400, 3.0, 3 * 86400 - 60, "12.400 Erwähnungen in 3 Tagen, sonst etwa 3",
         "12,400 mentions in 3 days, usually about 3"),
        (300, 1234.4, 6000, "300 Erwähnungen in 101 Minuten, sonst etwa 1.234",
         "300 mentions in 101 minutes, usually about 1,234"),
    ],
)  # fmt: skip
def test_volume_figures_in_each_language_s_notation(mentions, expected, span_s, de, en):
    incident = storm(mentions=mentions, expected=expected, updated_at=SATURDAY_1950 + span_s)
    assert volume_line(incident, "de") == de
    assert volume_line(incident, "en") == en


def test_the_span_counts_whole_buckets_of_the_configured_width():
    incident = storm(mentions=90, expected=2, updated_at=SATURDAY_1950 + 600)
    assert volume_line(incident, "de", bucket_s=300) == "90 Erwähnungen in 15 Minuten, sonst etwa 2"
    text = render_page(page(incident=incident), BRANDS, bucket_s=300)
    assert "90 Erwähnungen in 15 Minuten, sonst etwa 2" in text


def test_three_top_mentions_escaped_shortened_and_linked_only_over_http():
    text = render_page(page(), BRANDS)
    assert "<script>" not in text
    assert "„Nie wieder Kesselberg! &lt;script&gt;alert(1)&lt;/script&gt; &amp; Co“" in text
    assert '@bierfan · 1,2 Mio. Reichweite · <a href="https://social.example/p/1?a=1&amp;b=2">Link</a>' in text
    assert "„Die Brauerei schweigt seit Stunden“" in text
    assert '<a href="https://x.example/%22%3E%3Cb%3Eb%C3%B6se%3C/b%3E">Link</a>' in text
    assert "x" * 219 + "…" in text and "x" * 221 not in text
    assert "javascript:" not in text
    assert "fourth" not in text


def test_state_line_follows_the_incident_id_and_replaces_an_older_one():
    text = render_page(page(state_line="✅ Übernommen von Anna <Chefin> um 21:04"), BRANDS)
    assert text.endswith("<code>kesselberg:12</code>\n\n✅ Übernommen von Anna &lt;Chefin&gt; um 21:04")
    again = with_state_line(text, "☑️ Gelöst von Ben um 22:30")
    assert again.endswith("<code>kesselberg:12</code>\n\n☑️ Gelöst von Ben um 22:30")
    assert "Übernommen" not in again


def test_escalation_and_closed_incident_say_so():
    text = render_page(page(kind="escalation", escalation_level=2,
                            incident=storm(status="closed", ended_at=SATURDAY_1950 + 7200)), BRANDS)  # fmt: skip
    assert "⏫ Eskaliert (Stufe 2)" in text and "⏹ beendet um 21:50" in text


def test_huge_mentions_stay_under_telegram_s_limit():
    top = [TopMention(f"t{i}", "<b>" * 3000, SATURDAY_1950, 1) for i in range(3)]
    text = render_page(page(incident=storm(top=top)), {"kesselberg": "K" * 500})
    assert len(text) <= 4096 and text.count("<b>") == 1


SIGNER = CallbackSigner(b"k" * 32, timedelta(days=7))


def test_callback_data_round_trips_and_fits_64_bytes():
    for action in ("ack", "drafts", "resolve", "false_alarm", "snooze"):
        data = SIGNER.sign(action, "kesselberg:12", SATURDAY_1950)
        assert len(data.encode()) <= 64
        assert SIGNER.verify(data, SATURDAY_1950 + 3600) == (action, "kesselberg:12")


def test_forged_malformed_and_stale_callbacks_are_refused():
    data = SIGNER.sign("ack", "kesselberg:12", SATURDAY_1950)
    other = CallbackSigner(b"x" * 32, timedelta(days=7)).sign("ack", "kesselberg:12", SATURDAY_1950)
    with pytest.raises(ForgedCallback):
        SIGNER.verify(other, SATURDAY_1950)
    with pytest.raises(ForgedCallback):
        SIGNER.verify(data.replace("kesselberg:12", "kesselberg:13"), SATURDAY_1950)
    with pytest.raises(MalformedCallback):
        SIGNER.verify("ack kesselberg:12", SATURDAY_1950)
    with pytest.raises(MalformedCallback):
        SIGNER.verify(None, SATURDAY_1950)
    with pytest.raises(StaleCallback):
        SIGNER.verify(data, SATURDAY_1950 + 7 * 86400 + 1)
    with pytest.raises(StaleCallback):
        SIGNER.verify(data, SATURDAY_1950 - 3600)


def test_keyboard_has_five_buttons_in_the_recipient_s_language():
    de = incident_keyboard(SIGNER, "kesselberg:12", "de", SATURDAY_1950)
    en = incident_keyboard(SIGNER, "kesselberg:12", "en", SATURDAY_1950)
    def labels(kb):
        return [b.text for row in kb.inline_keyboard for b in row]
    assert labels(de) == ["✅ Übernehmen", "📝 Entwürfe", "☑️ Gelöst", "🚫 Fehlalarm", "🔕 1 h stumm"]
    assert labels(en) == ["✅ Acknowledge", "📝 Drafts", "☑️ Resolve", "🚫 False alarm", "🔕 Snooze 1 h"]
    with pytest.raises(ValueError, match="64 bytes"):
        incident_keyboard(SIGNER, "b" * 60 + ":1", "de", SATURDAY_1950)


def test_config_reads_secrets_from_the_environment_and_names_missing_ones():
    config = TelegramConfig(token_env="BOT", mode="webhook", webhook_url="https://warner.example/tg",
                            secret_token_env="HOOK", base_url="http://127.0.0.1:9/")  # fmt: skip
    assert config.base_url == "http://127.0.0.1:9"
    with pytest.raises(TelegramSecretError, match="HOOK is not set"):
        config.secrets({"BOT": "123:abc"})
    secrets = config.secrets({"BOT": "123:abc", "HOOK": "s3cret"})
    assert (secrets.token, secrets.webhook_secret) == ("123:abc", "s3cret")
    assert secrets.callback_key != b"123:abc" and len(secrets.callback_key) == 32
    assert "123:abc" not in repr(secrets)
    with pytest.raises(TelegramSecretError, match="BOT is not set"):
        config.secrets({})


def test_config_refuses_secrets_in_yaml_and_incomplete_webhook_mode():
    with pytest.raises(ValidationError, match="not read from YAML"):
        TelegramConfig.model_validate({"token": "123:abc"})
    with pytest.raises(ValidationError, match="secret_token_env"):
        TelegramConfig(mode="webhook", webhook_url="https://warner.example/tg")
    with pytest.raises(ValidationError, match="https"):
        TelegramConfig(mode="webhook", webhook_url="http://warner.example/tg", secret_token_env="HOOK")
