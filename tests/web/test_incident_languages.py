"""The incident page shows each post's language as the scorer saw it, and guesses only for older posts."""

from __future__ import annotations

from warner.incidents.model import TopMention
from warner.web.pages.incident import _languages


def post(text: str, lang: str | None) -> TopMention:
    return TopMention(key=f"k:{text}", text=text, created_at=0, reach=0, lang=lang)


def test_the_scorer_s_language_is_shown_as_stored() -> None:
    assert _languages([post("Kesselberg schmeckt furchtbar", "de"), post("worst beer ever", "en")]) == ["de", "en"]


def test_a_post_kept_before_the_language_was_stored_is_guessed_and_marked_as_a_guess() -> None:
    languages = _languages([post("Das Bier von Kesselberg ist leider nicht mehr gut", None), post("x", "other")])
    assert languages[0] == "de?" and languages[1] == "other"


def test_the_detect_stage_keeps_the_language_with_each_recent_mention() -> None:
    from datetime import UTC, datetime

    import orjson

    from warner.core import TextScore
    from warner.detect.stage import _recent_member
    from warner.mention import Mention
    from warner.pipeline import Envelope

    mention = Mention.model_validate(  # the same validation the API runs
        {"id": "1", "source": "s", "text": "worst beer ever", "created_at": datetime.now(UTC).isoformat()}
    )
    envelope = Envelope("1-0", mention, 0, TextScore("en", "negative", 0.9, 0.1, False))
    assert orjson.loads(_recent_member(envelope))["lang"] == "en"
