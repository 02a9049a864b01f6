"""Scoring benchmark: how good on sources never seen, and how fast.

Run: ``.venv/bin/python bench/scoring.py [--models-dir models] [--n 20000] [--data-dir ../shared/data]``.

**Quality** (when ``--data-dir`` exists; ``--no-quality`` skips it, a few minutes on 2 cores):
every head fitted with the shipped recipe and scored in-source (cross-validation inside its
corpus) and cross-source (a whole source left out of training and scored), the false-offensive
rate on neutral/positive posts of a source the offence head never saw, and praise called
negative. See ``warner/scoring/validation.py``.

**Speed**, two kinds of text:

- **new texts**, as ``bench/load.py`` sends them (scenario posts with words of a Zipf
  vocabulary, a fifth with a word never seen before), after ``--warm`` of the same kind: no
  two alike, so nothing is scored from memory; the figure for a real stream;
- **copies**: nine synthetic German/English tweets (~100-140 characters, handles, hashtags,
  URLs, emoji) with a number, over and over, which the scorer scores once each (a storm of
  retweets).

The speed part needs no data set. Single process; BLAS threads pinned to 1.
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
    parser.add_argument("--data-dir", type=Path, default=Path(__file__).resolve().parent.parent.parent / "shared/data")
    parser.add_argument("--no-quality", action="store_true", help="speed only")
    parser.add_argument("--calm-weights", default="", help="e.g. 0,0.1,0.25,0.5,1: the offence head's trade-off curve")
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
    # After the speed figures, so that the import time, load time and peak memory above are the scorer's own.
    if not args.no_quality:
        if args.data_dir.is_dir():
            _quality(args.data_dir, [float(w) for w in args.calm_weights.split(",") if w])
        else:
            print(f"no data at {args.data_dir}: quality figures skipped (pass --data-dir)")


def _quality(data_dir: Path, calm_weights: list[float]) -> None:
    """Fit every head as training does and print the in-source and cross-source figures."""
    import dataclasses
    import warnings

    from rich.console import Console
    from rich.table import Table
    from sklearn.exceptions import ConvergenceWarning

    from warner.scoring import validation
    from warner.scoring.train import TrainSettings, read_rows, validate

    console = Console(width=150)
    settings = TrainSettings(data_dir=data_dir, out=Path("."))
    with console.status("reading and hashing the corpora") as status, warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        say = status.update
        t0 = time.perf_counter()
        rows = read_rows(settings, say)
        figures = validate(rows, settings.heads, say)
        curve = {w: validation.offence(rows.insults, dataclasses.replace(settings.heads, calm_weight=w), say)
                 for w in calm_weights}
    console.print(f"quality: {time.perf_counter() - t0:.0f} s of fitting; settings {settings.heads}")
    table = Table("head", "trained on → scored on", "kind", "n", "main figure", "neg recall", "praise→neg")
    de, en, tox = (figures[k] for k in ("sentiment_de", "sentiment_en", "toxicity"))
    lines = [
        ("German", "4/5 GermEval 2017 + tweets → 1/5 GermEval 2017", "in-domain held out", de["germeval2017_cv"]),
        ("German", "SB10k + PotTS → GermEval 2017", "cross-source", de["tweets_to_germeval2017"]),
        ("German", "GermEval 2017 + PotTS → SB10k", "cross-source", de["to_sb10k"]),
        ("German", "GermEval 2017 + SB10k → PotTS", "cross-source", de["to_potts"]),
        ("English", "SemEval 2013-2016, 5 folds", "in-source", en["semeval_cv"]),
        *(("English", f"other years → {key[3:]}", "cross-source", en[key]) for key in sorted(en) if key[3:].isdigit()),
    ]
    for head, how, kind, fig in lines:
        main = f"AvgRec {fig['macro_recall']:.3f}" if head == "English" else f"micro-F1 {fig['micro_f1']:.3f}"
        table.add_row(head, how, kind, f"{fig['n']:,}", main, f"{fig['negative_recall']:.3f}",
                      f"{fig['positive_called_negative']:.3f}")
    ge18 = tox["germeval2018_cv"]
    table.add_row("offence", "GermEval 2018, 5 folds (+ calm posts)", "in-source", f"{ge18['n']:,}",
                  f"GermEval F1 {100 * ge18['germeval2018_f1']:.2f}", "", "")
    console.print(table)
    calm = Table("offence head trained without", "calm posts", "called offensive", "complaints", "called offensive")
    for key in sorted(k for k in tox if k.startswith("to_")):
        fig = tox[key]
        calm.add_row(key[3:], f"{fig['calm_posts']:,}", f"{fig['calm_called_offensive']:.1%}", f"{fig['complaints']:,}",
                     f"{fig['complaints_called_offensive']:.1%}")
    console.print(calm)
    if curve:
        sources = sorted(k[3:] for k in tox if k.startswith("to_"))
        trade = Table("calm_weight", "GermEval 2018 F1 (CV)", *(f"{name}: calm called offensive" for name in sources),
                      title="offence head: what calm posts buy and cost")
        for w, fig in curve.items():
            trade.add_row(f"{w:g}", f"{100 * fig['germeval2018_cv']['germeval2018_f1']:.2f}",
                          *(f"{fig['to_' + name]['calm_called_offensive']:.1%}" for name in sources))
        console.print(trade)


if __name__ == "__main__":
    main()
