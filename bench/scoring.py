"""Scoring benchmark: load time, texts/s on tweet-length text, peak memory, artifact size.

Run: ``.venv/bin/python bench/scoring.py [--models-dir models] [--n 20000]``. Texts are
synthetic German/English tweets (~100-140 characters, handles, hashtags, URLs, emoji),
so the benchmark needs no data set. Single process; BLAS threads pinned to 1.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
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
    args = parser.parse_args()

    started = time.perf_counter()
    from warner.scoring.models import ModelScorer, load_scorer

    imported = time.perf_counter()
    scorer = load_scorer(args.models_dir)
    loaded = time.perf_counter()
    if not isinstance(scorer, ModelScorer):
        raise SystemExit(f"no trained models in {args.models_dir}")

    texts = _texts(args.n)
    scorer.score(texts[:100])
    t0 = time.perf_counter()
    scorer.score(texts)
    batch_s = time.perf_counter() - t0
    single = texts[:500]
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
    print(f"batch throughput     {len(texts) / batch_s:,.0f} texts/s ({len(texts):,} texts, mean {mean_len:.0f} chars)")
    print(f"single-text latency  {1000 * single_s / len(single):.2f} ms")
    print(f"peak memory (RSS)    {peak_mb:.0f} MB")
    print(f"artifact size        {size / 1e6:.2f} MB ({', '.join(p.name for p in artifacts)})")


if __name__ == "__main__":
    main()
