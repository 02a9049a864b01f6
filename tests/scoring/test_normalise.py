"""Normalisation: tweets, comments and pre-tokenised corpus text must look alike."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from warner.scoring.text import MAX_CHARS, mark_negation, normalise


@pytest.mark.parametrize("text", ["", None, "   ", "\t\n"])
def test_empty_or_missing_text_normalises_to_empty(text: str | None) -> None:
    assert normalise(text) == ""


def test_urls_and_handles_become_placeholders() -> None:
    assert normalise("@DB_Bahn schau mal https://t.co/0PgTRO6YS2 www.bahn.de/x") == "xuser schau mal xurl xurl"


def test_hashtags_keep_their_words_split_at_camel_case() -> None:
    assert normalise("#DeutscheBahn #ICE123 #fail") == "xhashtag deutsche bahn xhashtag ice 0 xhashtag fail"


def test_emoticons_become_tokens_and_emoji_stay() -> None:
    assert normalise("super :-) doof :( lol xD ;) <3 😍👍🏻") == (
        "super xsmile doof xsad lol xlaugh xwink xheart 😍 👍"
    )


def test_times_and_ratios_are_not_emoticons() -> None:
    assert "xsmile" not in normalise("um 12:30) oder a:b)")
    assert "xsad" not in normalise("https://example.org/a:(b")


def test_elongation_is_squeezed_and_flagged() -> None:
    assert normalise("suuuuper!!!!") == "super !! xelong"


def test_umlaut_spellings_meet() -> None:
    assert normalise("Ärger über Größe") == normalise("Aerger ueber Groesse") == "aerger ueber groesse"


def test_raw_and_pretokenised_text_agree() -> None:
    assert normalise("Das war's, echt schön... (oder?)") == normalise("Das war's , echt schön ... ( oder ? )")


def test_very_long_text_is_cut() -> None:
    assert len(normalise("wort " * 10_000)) <= MAX_CHARS


def test_germeval_line_breaks_are_spaces() -> None:
    assert normalise("erste|LBR|zweite") == "erste zweite"


def test_negation_marks_following_words_until_punctuation() -> None:
    assert mark_negation(normalise("Das ist nicht gut, aber ok")) == "das ist nicht neg_gut , aber ok"
    assert mark_negation(normalise("I don't like it")) == "i don't neg_like neg_it"


def test_negation_scope_is_limited_and_skips_placeholders() -> None:
    marked = mark_negation(normalise("kein :( bock auf diese lange fahrt heute"))
    assert marked == "kein xsad neg_bock neg_auf neg_diese lange fahrt heute"


def _plain_normalise(text: str) -> str:
    """The specification: every substitution in order, without the fast paths of ``normalise``."""
    import unicodedata

    from warner.scoring import text as t

    text = unicodedata.normalize("NFC", text[:MAX_CHARS]).replace("|LBR|", " ")
    text = t._URL.sub(" xurl ", text)
    text = t._USER.sub(" xuser ", text)
    text = t._HASHTAG.sub(t._split_hashtag, text)
    text = t._EMOTICON.sub(t._emoticon_token, text)
    text = t._EMOJI_NOISE.sub("", text)
    text = t._EMOJI.sub(lambda m: f" {m.group(0)} ", text)
    text = text.casefold().translate(str.maketrans(dict(t._UMLAUTS)))
    if t.ELONGATION.search(text):
        text = t.ELONGATION.sub(r"\1", text) + " xelong"
    text = t._REPEATED_PUNCT.sub(r"\1\1", text)
    text = t.DIGITS.sub("0", text)
    return " ".join(t._TOKEN.findall(text))


_PIECES = [
    "Kesselberger", "Glas", "nicht", "gut", "ÄRGER", "Straße", "suuuuper", "!!!", "??", "...", ":-)", ":(", "xD",
    ";)", "<3", "-_-", "^^", "12:30)", "😡", "👍🏻", "❤️", "#DeutscheBahn", "@kesselberg_bier", "https://t.co/x",
    "WWW.Example.de", "|LBR|", "’", "don't", "(", ")", "=", "x", "D", " ", "\t", "\u00a0", "ß", "İ", "ﬁ",
]


@given(st.lists(st.sampled_from(_PIECES) | st.text(max_size=8), max_size=30).map(" ".join))
@settings(max_examples=400, deadline=None)
def test_the_fast_paths_give_what_the_plain_substitutions_give(text: str) -> None:
    assert normalise(text) == _plain_normalise(text)


def test_the_scenario_texts_normalise_as_the_plain_substitutions_do() -> None:
    from warner.scenarios import SCENARIOS

    texts = {m["text"] for make in SCENARIOS.values() for m in make().mentions}
    assert len(texts) > 100
    assert [normalise(x) for x in texts] == [_plain_normalise(x) for x in texts]

