from __future__ import annotations

import sys
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from warner.config.loading import ConfigError, parse_config
from warner.ingest.brands import TAG_SIGNS, BrandMatcher, fold
from warner.ingest.config import BrandConfig
from warner.scenarios.brands import KESSELBERG


def brand(name: str = "b", **fields: Any) -> BrandConfig:
    return BrandConfig(name=name, **fields)


def matcher(**fields: Any) -> BrandMatcher:
    return BrandMatcher([brand(**fields)])


def config_issue(brand_yaml: str) -> tuple[str, int | None, str]:
    with pytest.raises(ConfigError) as caught:
        parse_config("brands:\n  - name: kesselberg\n" + brand_yaml, "w.yaml")
    (issue,) = caught.value.issues
    return issue.field, issue.line, issue.message


# Folding and word boundaries


def test_mueller_muller_and_mueller_with_umlaut_are_one_word() -> None:
    assert fold("Müller") == fold("Mueller") == fold("Muller") == fold("muller") == fold("MÜLLER") == "muller"
    m = matcher(aliases=["Müller"])
    for text in ["Müller Milch", "mueller milch", "MULLER!", "Bei muller gekauft"]:
        assert m.first(text) == "b", text
    assert matcher(aliases=["Mueller"]).first("Müller") == "b"


def test_sharp_s_and_other_diacritics_fold_away() -> None:
    assert fold("Straße") == fold("STRASSE") == "strasse"
    assert matcher(aliases=["Café Noir"]).first("im cafe noir") == "b"


def test_rewe_does_not_match_rewerk_but_matches_rewe_markt_and_hashtag() -> None:
    m = matcher(aliases=["Rewe"])
    assert m.match("Das Rewerk in Berlin") == []
    assert m.match("Prewe und Rewes") == []
    assert m.first("Heute im REWE-Markt gewesen") == "b"
    assert m.first("#rewe hat zu") == "b"
    assert m.first("@rewe antwortet nicht") == "b"


def test_phrase_alias_matches_across_spaces_hyphens_and_underscores_but_not_punctuation() -> None:
    m = matcher(aliases=["Bergblick Reisen"])
    for text in ["Bergblick Reisen", "bergblick-reisen", "Bergblick   Reisen", "bergblick_reisen"]:
        assert m.first(text) == "b", text
    assert m.match("Bergblick. Reisen ist schön") == []
    assert m.match("Bergblick") == []


def test_alias_with_punctuation_matches_as_written() -> None:
    assert matcher(aliases=["C&A"]).first("Neue Jacke von C&A") == "b"
    assert matcher(aliases=["C&A"]).match("C und A") == []


# Handles, hashtags, products


def test_handle_matches_with_or_without_at_sign_and_only_the_whole_handle() -> None:
    m = matcher(handles=["@kesselberg_bier"])
    assert m.first("@kesselberg_bier wann kommt der Rückruf?") == "b"
    assert m.first("schreibt kesselberg_bier auf Insta") == "b"
    assert m.match("@kesselberg_bier_fan ist nicht die Brauerei") == []
    assert m.match("Kesselberg Bier") == []


def test_dotted_handle_matches_when_written_with_at_sign() -> None:
    m = matcher(handles=["kesselberg.bier"])
    assert m.first("Frage an @Kesselberg.Bier.") == "b"
    assert m.match("mail an info@kesselberg.bier") == []


def test_hashtag_matches_only_as_hashtag_in_any_case() -> None:
    m = matcher(hashtags=["kesselberg"])
    assert m.first("Prost #kesselberg") == "b"
    assert m.first("Prost #Kesselberg") == "b"
    assert m.match("Prost Kesselberg") == []
    assert m.match("#kesselbergbier") == []


def test_plain_word_of_a_hashtag_counts_when_it_is_also_an_alias() -> None:
    m = matcher(hashtags=["#kesselberg"], aliases=["Kesselberg"])
    assert m.first("Prost Kesselberg") == "b"


def test_product_names_match_like_aliases() -> None:
    m = matcher(aliases=["Kesselberg"], products=["Bergquell Helles", "Zwickl"])
    assert m.first("Das bergquell-helles ist trüb") == "b"
    assert m.first("Ein ZWICKL bitte") == "b"
    assert m.match("Bergquell ist ein Ort") == []


def test_brand_without_terms_is_matched_by_its_name() -> None:
    assert matcher(name="kesselberg").first("Kesselberg") == "kesselberg"


# Exclusions


def test_exclusion_term_vetoes_the_brand_even_with_other_terms() -> None:
    m = BrandMatcher([BrandConfig.model_validate(KESSELBERG)])
    assert m.match("Stau am Kesselberg-Tunnel") == []
    assert m.match("Stau am Kesselberg Tunnel, #kesselberg") == []
    assert m.first("Kesselberg Tunnelbier") == "kesselberg"
    assert m.first("Glassplitter im Kesselberger Hellen #kesselberg") == "kesselberg"


def test_exclusion_applies_only_to_its_own_brand() -> None:
    m = BrandMatcher([brand("a", aliases=["Sonnenhof"], exclude=["Hotel Sonnenhof"]), brand("h", aliases=["Hotel"])])
    assert m.match("Hotel Sonnenhof ist ausgebucht") == ["h"]


# Boolean queries


def test_query_with_phrases_or_and_not() -> None:
    m = matcher(query='("Kesselberg" OR "Kesselberger") AND NOT (Tunnel OR Kesselbergstraße)')
    assert m.first("Kesselberger Helles") == "b"
    assert m.match("Unfall im Tunnel am Kesselberg") == []
    assert m.match("Baustelle Kesselbergstrasse, Kesselberg gesperrt") == []
    assert m.match("Ein Helles bitte") == []


def test_query_phrase_needs_the_words_in_order() -> None:
    m = matcher(query='"Kesselberg Brauerei" OR "Brauerei Kesselberg"')
    assert m.first("die Brauerei Kesselberg lädt ein") == "b"
    assert m.match("Brauerei am Kesselberg") == []


def test_not_binds_tighter_than_and_which_binds_tighter_than_or() -> None:
    m = matcher(query="Helles OR Kesselberg AND NOT Tunnel")  # Helles OR (Kesselberg AND (NOT Tunnel))
    assert m.first("Helles im Tunnel") == "b"
    assert m.first("Kesselberg") == "b"
    assert m.match("Kesselberg Tunnel") == []


def test_parentheses_override_precedence() -> None:
    m = matcher(query="(Helles OR Kesselberg) AND NOT Tunnel")
    assert m.match("Helles im Tunnel") == []
    assert m.first("Helles im Garten") == "b"


def test_lower_case_operators_are_words_in_quotes() -> None:
    m = matcher(query='"rock and roll" AND Kesselberg')
    assert m.first("Rock and Roll am Kesselberg") == "b"
    assert m.match("Rock am Kesselberg") == []


def test_query_hashtag_and_handle_terms_follow_their_rules() -> None:
    m = matcher(query="#kesselberg AND NOT @kesselberg_bier")
    assert m.first("Prost #Kesselberg") == "b"
    assert m.match("Prost Kesselberg") == []
    assert m.match("#kesselberg @kesselberg_bier") == []


def test_query_adds_to_aliases_and_exclusions_still_win() -> None:
    m = matcher(aliases=["Kesselberger"], query="Kesselberg AND Bier", exclude=["Tunnel"])
    assert m.first("Kesselberger") == "b"
    assert m.first("Kesselberg hat gutes Bier") == "b"
    assert m.match("Bier im Tunnel am Kesselberg") == []


# Several brands


def test_two_brands_in_one_text_come_in_config_order() -> None:
    m = BrandMatcher([brand("a", aliases=["Kesselberg"]), brand("c", aliases=["Bergblick Reisen"])])
    text = "Mit Bergblick Reisen zur Brauerei Kesselberg"
    assert m.match(text) == ["a", "c"]
    assert m.first(text) == "a"


def test_brands_may_share_a_term() -> None:
    m = BrandMatcher([brand("a", aliases=["Sonnenhof"]), brand("c", hashtags=["sonnenhof"], aliases=["Molkerei"])])
    assert m.match("#sonnenhof") == ["a", "c"]
    assert m.match("Sonnenhof") == ["a"]


def test_empty_config_and_empty_text_match_nothing() -> None:
    assert BrandMatcher([]).match("Kesselberg") == []
    assert matcher(aliases=["Kesselberg"]).match("") == []
    assert matcher(aliases=["Kesselberg"]).first("nichts") is None


# Config errors


def test_invalid_query_is_a_config_error_naming_field_line_and_position() -> None:
    field, line, message = config_issue('    aliases: [Kesselberg]\n    query: "(Kesselberg OR Kesselberger"\n')
    assert (field, line) == ("brands[0].query", 4)
    assert "unclosed ( at position 1" in message


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Kesselberg AND", "expected a term or ( but the query ends at position 15"),
        ("Kesselberg OR OR Bier", "expected a term or ( before 'OR' at position 15"),
        ("Kesselberg Bier", "quote a phrase"),
        ("Kesselberg and Bier", "operators are upper case"),
        ('Kesselberg AND "Bier', 'unterminated quote " at position 16'),
        ("Kesselberg)", "unexpected ) at position 11"),
        ("NOT Tunnel", "without any of its terms"),
        ('Kesselberg OR ""', "has no letters or digits"),
        ("", "empty query"),
    ],
)
def test_query_errors_say_what_and_where(query: str, expected: str) -> None:
    field, _, message = config_issue(f"    query: '{query}'\n")
    assert field == "brands[0].query"
    assert expected in message


def test_terms_that_can_never_match_are_config_errors() -> None:
    assert config_issue('    hashtags: ["#kessel berg"]\n')[:2] == ("brands[0].hashtags", 3)
    assert config_issue('    handles: ["@kessel berg"]\n')[0] == "brands[0].handles"
    assert config_issue('    aliases: ["!!!"]\n')[0] == "brands[0].aliases"


def test_all_new_fields_load_from_yaml() -> None:
    config = parse_config(
        "brands:\n"
        "  - name: kesselberg\n"
        "    aliases: [Kesselberg]\n"
        "    products: [Kesselberger Hell]\n"
        "    handles: ['@kesselberg_bier']\n"
        "    hashtags: [kesselberg]\n"
        "    query: 'Brauerei AND Kesselberg'\n"
    )
    (b,) = config.brands
    assert b.products == ["Kesselberger Hell"] and b.handles == ["@kesselberg_bier"] and b.hashtags == ["kesselberg"]
    assert b.query == "Brauerei AND Kesselberg"
    assert "Kesselberger Hell" in b.names


# Remembered pieces: the words of a text come from a memory of its whitespace-separated pieces

_PIECES = ["Müller", "Mueller", "MÜLLER", "Kesselberg-Tunnel", "#Rewe", "@rewe.de", "＃rewe", "a¨e", "ﬁ", "İ",
           "Straße", "C&A", "x\u0301", "\u0301", "Bergblick_Reisen", "über", "AE", "ae", "...", "🍺"]
_SPACES = [" ", "\t", "\n", "\u00a0", "\u2028", "\u3000", "\x1c", "  "]


@given(st.lists(st.tuples(st.sampled_from(_PIECES) | st.text(max_size=5), st.sampled_from(_SPACES)), max_size=16))
@settings(max_examples=300, deadline=None)
def test_words_from_remembered_pieces_are_the_words_of_the_folded_text(parts: list[tuple[str, str]]) -> None:
    from warner.ingest.brands import _WORDS

    text = "".join(piece + space for piece, space in parts)
    m = matcher(aliases=["Müller"])
    assert m._words(text) == _WORDS.findall(fold(text))
    assert m._words(text) == _WORDS.findall(fold(text))  # the second time from memory


def test_a_fullwidth_hash_is_a_hashtag_after_folding() -> None:
    assert matcher(hashtags=["rewe"]).match("Heute bei ＃Rewe") == ["b"]


def test_the_tag_signs_are_every_character_that_folds_to_a_hash_or_an_at() -> None:
    """The matcher skips folding a text for tags unless one of TAG_SIGNS is in it: none may be missing."""
    folding_to_a_sign = {
        chr(c) for c in range(sys.maxunicode + 1)
        if not 0xD800 <= c <= 0xDFFF and ("#" in fold(chr(c)) or "@" in fold(chr(c)))
    }
    assert folding_to_a_sign == set(TAG_SIGNS)
