"""Synthetic training text for language id, sampled from wordfreq's word lists.

We have real German and English posts but no "other" language posts, so the
language head also learns from word sequences sampled (Zipf-weighted, fixed seed)
from the frequency lists of 35 other languages, plus a share of German and English
samples so that "sampled" itself is not a cue. wordfreq is needed for training only.
"""

from __future__ import annotations

import numpy as np

OTHER_LANGUAGES = [
    "fr",
    "es",
    "it",
    "nl",
    "pt",
    "tr",
    "pl",
    "sv",
    "da",
    "nb",
    "fi",
    "cs",
    "hu",
    "ro",
    "id",
    "ca",
    "sk",
    "sl",
    "sh",
    "lt",
    "lv",
    "ms",
    "fil",
    "ru",
    "uk",
    "bg",
    "el",
    "ar",
    "he",
    "fa",
    "ja",
    "zh",
    "ko",
    "hi",
    "vi",
]
PER_OTHER_LANGUAGE = 400
PER_MAIN_LANGUAGE = 1500
_DECORATIONS = ("", "", "", "@someone ", "RT @news: ", "#tag ")
_ENDINGS = ("", "", "", " https://t.co/abc", " !", " ?", " :)", " 😂")


def pseudo_sentences(seed: int = 0, vocabulary: int = 3000) -> list[tuple[str, str]]:
    """(text, label) pairs: label 'de', 'en' or 'other'."""
    try:
        from wordfreq import top_n_list
    except ImportError as err:  # pragma: no cover - exercised only without the train extra
        raise RuntimeError("training the language model needs wordfreq: pip install 'wordfreq>=3.1'") from err
    rng = np.random.default_rng(seed)
    out: list[tuple[str, str]] = []
    plan = [(lang, PER_OTHER_LANGUAGE, "other") for lang in OTHER_LANGUAGES]
    plan += [("de", PER_MAIN_LANGUAGE, "de"), ("en", PER_MAIN_LANGUAGE, "en")]
    for lang, count, label in plan:
        words = top_n_list(lang, vocabulary, wordlist="small")
        weights = 1.0 / (np.arange(len(words)) + 10.0)
        weights /= weights.sum()
        no_spaces = lang in ("ja", "zh")
        for _ in range(count):
            n = int(rng.integers(3, 18))
            picked = rng.choice(len(words), size=n, p=weights)
            body = ("" if no_spaces else " ").join(words[i] for i in picked)
            deco = _DECORATIONS[int(rng.integers(len(_DECORATIONS)))]
            end = _ENDINGS[int(rng.integers(len(_ENDINGS)))]
            out.append((deco + body + end, label))
    return out
