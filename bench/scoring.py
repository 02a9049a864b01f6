"""Scoring benchmark: load time, texts/s on tweet-length text, peak memory, artifact size.

Run: ``.venv/bin/python bench/scoring.py [--models-dir models] [--n 20000]``. Two kinds of text:

- **new texts**, as ``bench/load.py`` sends them (scenario posts with words of a Zipf
  vocabulary, a fifth with a word never seen before), after ``--warm`` of the same kind: no
  two alike, so nothing is scored from memory; the figure for a real stream;
- **copies**: nine synthetic German/English tweets (~100-140 characters, handles, hashtags,
  URLs, emoji) with a number, over and over, which the scorer scores once each (a storm of
  retweets).

No data set needed. Single process; BLAS threads pinned to 1.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

_DE = (
    "Schon wieder {n} Minuten Verspätung in Köln, @DB_Bahn das ist echt nicht mehr lustig. Anschluss weg 😡 #bahnchaos",
    (
        "Danke an das super freundliche Team in der Filiale {n}, so macht Einkaufen richtig Spaß "
        "und ich komme gerne wieder 😍"
    ),
    "Hat jemand Erfahrung mit dem neuen Tarif? Klingt erstmal gut, aber die Hotline ist seit Tagen nie erreichbar...",
    "Die Suppe war kalt, der Kellner unverschämt und die Rechnung falsch. Nie wieder! https://t.co/x{n}",
    "RT @news: Rückruf bei Hersteller wegen Splittern im Produkt {n} – Kunden sollen die Ware zurückbringen #rueckruf",
    "Ihr seid doch alle Vollidioten, {n} Euro für diesen Schrott und dann noch Versandkosten?! Absolute Frechheit",
)
_EN = (
    "Waited {n} minutes on hold and still no answer from @support, this is unbelievable. Cancelling my contract today",
    "Loving the new update, great job team! The app finally feels fast and the dark mode is beautiful 🎉 #happy",
    "Is the store on Main St open on Sunday? Asking for {n} friends who want to pick up their orders this weekend",
)


def _texts(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    return [rng.choice(_DE if rng.random() < 0.8 else _EN).format(n=rng.randint(1, 999)) for _ in range(n)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models-dir", type=Path, default=Path(__file__).resolve().parent.parent / "models")
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--warm", type=int, default=100_000, help="new texts scored before the measured ones")
    args = parser.parse_args()

    started = time.perf_counter()
    from warner.scoring.models import ModelScorer, load_scorer

    imported = time.perf_counter()
    scorer = load_scorer(args.models_dir)
    loaded = time.perf_counter()
    if not isinstance(scorer, ModelScorer):
        raise SystemExit(f"no trained models in {args.models_dir}")

    sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/load.py
    from load import stream_texts

    scorer.score(stream_texts(args.warm, seed=2))  # a worker that has run a while knows the common words
    fresh = stream_texts(args.n, seed=3)
    t0 = time.perf_counter()
    scorer.score(fresh)
    fresh_s = time.perf_counter() - t0
    texts = _texts(args.n)
    scorer.score(texts[:100])
    lookups, hits = scorer.lookups, scorer.hits
    t0 = time.perf_counter()
    scorer.score(texts)
    batch_s = time.perf_counter() - t0
    hit_rate = (scorer.hits - hits) / max(scorer.lookups - lookups, 1)
    single = stream_texts(500, seed=4)
    t0 = time.perf_counter()
    for text in single:
        scorer.score([text])
    single_s = time.perf_counter() - t0

    artifacts = sorted(args.models_dir.glob("*.skops"))
    size = sum(p.stat().st_size for p in artifacts)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    mean_len = sum(map(len, texts)) / len(texts)
    print(f"scorer               {scorer.name}")
    print(f"import time          {imported - started:.2f} s (numpy, scipy, scikit-learn, skops)")
    print(f"model load time      {loaded - imported:.2f} s")
    fresh_len = sum(map(len, fresh)) / len(fresh)
    print(f"batch throughput     {len(fresh) / fresh_s:,.0f} texts/s on new texts ({len(fresh):,} texts, "
          f"mean {fresh_len:.0f} chars, after {args.warm:,})")
    print(f"                     {len(texts) / batch_s:,.0f} texts/s on copies ({len(texts):,} texts, "
          f"mean {mean_len:.0f} chars, {hit_rate:.1%} scored from memory)")
    print(f"single-text latency  {1000 * single_s / len(single):.2f} ms")
    print(f"peak memory (RSS)    {peak_mb:.0f} MB")
    print(f"artifact size        {size / 1e6:.2f} MB ({', '.join(p.name for p in artifacts)})")


if __name__ == "__main__":
    main()
