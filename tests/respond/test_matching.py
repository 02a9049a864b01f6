"""Which playbook fits: realistic German and English storms, and the reason shown."""

from __future__ import annotations

import pytest
from respond.helpers import FIXTURES

from warner.respond.loader import load_playbooks
from warner.respond.matching import Matcher, fold

GERMAN_DEFECT = [
    "@Kesselberg hab heute Glasscherben in meinem Helles gefunden!!! Geht's noch?",
    "Wann kommt endlich der Rückruf? Meine Frau hat sich an der Lippe verletzt",
    "Schon wieder einer mit Glassplittern im Bier, das ist doch kein Zufall mehr",
    "Rueckruf jetzt! #kesselberg",
    "Ich trink das Zeug nie wieder",
]
ENGLISH_OUTAGE = [
    "@shop your checkout is down AGAIN. third time this week",
    "Payment keeps failing with an error message, can't order anything",
    "is the site down for everyone or just me?",
    "login not working since this morning, great job",
]
UNRELATED = ["Was für ein schöner Sonntag am See", "Who is coming to the concert tonight?"]


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(load_playbooks(FIXTURES))


def test_a_german_storm_about_glass_in_beer_is_a_product_defect(matcher: Matcher) -> None:
    best = matcher.rank(GERMAN_DEFECT)[0]
    assert best.playbook.id == "product_defect"
    reason = best.reason("de")
    assert reason.startswith("Treffer: rückruf (2)")  # "Rückruf" and "Rueckruf" are one word
    assert "verletz*" in reason and "ähnlich zu: „" in reason


def test_an_english_storm_about_checkout_is_a_shop_outage(matcher: Matcher) -> None:
    ranked = matcher.rank(ENGLISH_OUTAGE)
    assert ranked[0].playbook.id == "shop_outage"
    assert [m.playbook.id for m in ranked] == ["shop_outage"]
    assert ranked[0].reason("en").startswith("matched: down (2)")


def test_unrelated_chatter_matches_nothing(matcher: Matcher) -> None:
    assert matcher.rank(UNRELATED) == []
    assert matcher.rank([]) == []
    assert matcher.rank(["", "   "]) == []


def test_similarity_alone_can_carry_a_match(matcher: Matcher) -> None:
    # no trigger keyword, but close to the examples ("Fremdkörper im ... Helles")
    ranked = matcher.rank(["Fremdkörper im Kesselberger Helles, der dritte Bericht heute schon"])
    assert ranked and ranked[0].playbook.id == "product_defect"
    assert not ranked[0].keywords and ranked[0].similarity > 0.3


def test_keywords_match_word_starts_only_and_prefixes_only_with_a_star(matcher: Matcher) -> None:
    [defect] = [
        m
        for m in matcher.rank(
            ["schwer verletzte Kundin", "undefekt"],
        )
        if m.playbook.id == "product_defect"
    ]
    assert [k for k, _ in defect.keywords] == ["verletz*"]  # "undefekt" does not start with "defekt"
    none = Matcher([defect.playbook], threshold=0).rank(["Defekte Flasche"])[0]
    assert none.keywords == ()  # "defekt" is a whole word; "defekte" is not it


def test_multi_word_keywords(matcher: Matcher) -> None:
    best = matcher.rank(["There was broken glass in the bottle"])[0]
    assert ("broken glass", 1) in best.keywords


def test_fold_makes_umlauts_and_sharp_s_equal() -> None:
    assert fold("Rückruf") == fold("Rueckruf") == fold("RUCKRUF") == "ruckruf"
    assert fold("Straße") == fold("STRASSE")


def test_the_ranking_is_deterministic(matcher: Matcher) -> None:
    first = [(m.playbook.id, m.score, m.reason("de")) for m in matcher.rank(GERMAN_DEFECT + ENGLISH_OUTAGE)]
    again = [
        (m.playbook.id, m.score, m.reason("de"))
        for m in Matcher(load_playbooks(FIXTURES)).rank(GERMAN_DEFECT + ENGLISH_OUTAGE)
    ]
    assert first == again and len(first) == 2


def test_vectorize_equals_sklearn(matcher: Matcher) -> None:
    import numpy as np

    texts = [fold(t) for t in GERMAN_DEFECT + ENGLISH_OUTAGE + ["", "a", "  doppelt  doppelt "]]
    ours = matcher.vectorize(texts).toarray()
    theirs = matcher._vectorizer.transform(texts).toarray()
    assert np.allclose(ours, theirs, atol=1e-6)
