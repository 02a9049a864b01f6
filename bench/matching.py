"""Brand-matching speed: realistic German posts against 5 and 50 configured brands.

The posts are the texts of all shipped scenarios (storm, complaints, praise, bots, calm
weeks: brand talk, lookalikes such as the Kesselberg tunnel, and unrelated chatter),
deduplicated. The 5 brands are the scenario brands plus one defined by a boolean query;
the 50 add 45 invented brands with aliases, products, handles, hashtags, exclusions and
every third one a query — none of which occur in the posts, so the figure for 50 shows
the cost of a bigger config, not of more hits. Prints texts/s (best of a few rounds, one
core) and the share of texts that matched a brand.

    .venv/bin/python bench/matching.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import random
import time

from warner.ingest.brands import BrandMatcher, fold
from warner.ingest.config import BrandConfig
from warner.scenarios import SCENARIOS
from warner.scenarios.brands import BERGBLICK, HOFMANN, KESSELBERG, SONNENHOF

QUERY_BRAND = {
    "name": "alpenquell",
    "query": '("Alpenquell" OR "Alpen Quell") AND NOT (Wanderweg OR "Hütte Alpenquell")',
    "handles": ["@alpenquell"],
}

_STEMS = ["Berg", "Tal", "Sonnen", "Wald", "Fluss", "Stein", "Linden", "Eichen", "Adler", "Falken", "Mühl", "Grün"]
_ENDS = ["brunn", "hof", "feld", "bräu", "werk", "haus", "au", "heim", "bach", "see"]
_KINDS = ["Brauerei", "Molkerei", "Bäckerei", "Reisen", "Fenster", "Möbel", "Versicherung", "Energie"]


def invented(n: int, seed: int = 11) -> list[dict]:
    """``n`` plausible Mittelstand brands that the scenario texts do not mention."""
    rng = random.Random(seed)
    brands: list[dict] = []
    used: set[str] = set()
    while len(brands) < n:
        word = f"{rng.choice(_STEMS)}{rng.choice(_ENDS)}"
        kind = rng.choice(_KINDS)
        name = f"{fold(word)}-{len(brands)}".replace(" ", "")
        if word in used:
            continue
        used.add(word)
        slug = fold(word).replace("ß", "ss")
        brand = {
            "name": name,
            "aliases": [f"{word}er {kind}", f"{kind} {word}"],
            "products": [f"{word} Classic", f"{word} Premium {rng.randint(1, 9)}"],
            "handles": [f"@{slug}_{fold(kind)}"],
            "hashtags": [f"{slug}{fold(kind)}"],
            "exclude": [f"{word}straße", f"Hotel {word}"],
        }
        if len(brands) % 3 == 0:
            brand["query"] = f'("{word}" OR "{word}er") AND ({kind} OR Service) AND NOT (Wanderung OR Ortsteil)'
        brands.append(brand)
    return brands


def texts() -> list[str]:
    seen: dict[str, None] = {}
    for make in SCENARIOS.values():
        for record in make().mentions:
            seen.setdefault(record["text"], None)
    return list(seen)


def measure(matcher: BrandMatcher, posts: list[str], rounds: int) -> tuple[float, float]:
    best = float("inf")
    matched = 0
    for _ in range(rounds):
        started = time.perf_counter()
        matched = sum(1 for t in posts if matcher.match(t))
        best = min(best, time.perf_counter() - started)
    return len(posts) / best, matched / len(posts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    posts = texts()
    chars = sum(map(len, posts)) / len(posts)
    print(f"{len(posts)} distinct posts, {chars:.0f} characters on average")
    five = [KESSELBERG, BERGBLICK, SONNENHOF, HOFMANN, QUERY_BRAND]
    for label, specs in [("5 brands", five), ("50 brands", five + invented(45))]:
        started = time.perf_counter()
        matcher = BrandMatcher([BrandConfig.model_validate(b) for b in specs])
        built = time.perf_counter() - started
        rate, share = measure(matcher, posts, args.rounds)
        print(
            f"{label:>9}: {rate:>9,.0f} texts/s  ({1e6 / rate:.1f} µs/text, {share:.0%} matched,"
            f" built in {built * 1e3:.1f} ms)"
        )
    started = time.perf_counter()
    for t in posts:
        fold(t)
    print(f"     fold: {len(posts) / (time.perf_counter() - started):>9,.0f} texts/s (part of the above)")


if __name__ == "__main__":
    main()
