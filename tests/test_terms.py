"""The words of negative posts: what people were angry about, without noise and without the brand's own name."""

from __future__ import annotations

from warner.terms import MAX_TERMS, brand_words, terms

KESSELBERG = brand_words(["kesselberg", "Kesselberg", "Kesselberger", "@kesselberg_bier"])


def test_a_german_complaint_keeps_its_content_words_with_umlauts():
    text = "Schon wieder Glassplitter im Kesselberger Hellen!!! Wann kommt endlich der Rückruf? 😡😡"
    assert terms(text, KESSELBERG) == ("glassplitter", "hellen", "kommt", "endlich", "rückruf")


def test_urls_handles_digits_and_punctuation_go_hashtags_keep_their_word():
    text = "@kesselberg_bier @Anna_89 seht euch das an: https://t.co/Ab12Cd www.example.org/x?y=1 #Rückruf 3x Glas!"
    assert terms(text, KESSELBERG) == ("seht", "rückruf", "glas")


def test_an_english_complaint_drops_english_stopwords():
    text = "Found GLASS in my Kesselberg beer and they don't even answer their e-mails. Never again! #recall"
    assert terms(text, KESSELBERG) == ("found", "glass", "beer", "answer", "e-mails", "never", "recall")


def test_each_word_counts_once_per_post_in_order_of_first_appearance():
    assert terms("Rückruf! RÜCKRUF! #rückruf Rückruf-Aktion jetzt, Rückruf") == ("rückruf", "rückruf-aktion")


def test_the_brand_is_left_out_in_every_spelling_given():
    assert brand_words(["bergblick", "Bergblick Reisen"]) == {"bergblick", "reisen"}
    assert brand_words(["@kesselberg_bier", "#Kesselberg"]) == {"kesselberg"}  # handles never reach the terms
    assert terms("@kesselberg_bier Glas im Bier", KESSELBERG) == ("glas", "bier")
    assert terms("Bergblick Reisen: Flug storniert, Hotel dreckig", brand_words(["Bergblick Reisen"])) == (
        "flug",
        "storniert",
        "hotel",
        "dreckig",
    )


def test_short_words_and_empty_text_give_nothing():
    assert terms("") == ()
    assert terms("ok ja nö 😡 !!! 123 :-(") == ()


def test_a_very_long_post_is_capped():
    text = " ".join(f"wort{chr(97 + i % 26)}{chr(97 + i // 26)}" for i in range(500))
    assert len(terms(text)) == MAX_TERMS
