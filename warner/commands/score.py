"""``warner train``, ``warner eval`` and ``warner score``: parse, validate, delegate.

``register(subparsers)`` adds the three subcommands to the CLI's subparsers; each
sets ``func`` to a handler ``(args) -> exit code``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

DEFAULT_DATA_DIR = Path("../shared/data")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``train``, ``eval`` and ``score`` to ``subparsers``."""
    train = subparsers.add_parser("train", help="train the scoring models from the shared data")
    train.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="default: ../shared/data")
    train.add_argument("--out", type=Path, default=None, help="default: the repository's models/")
    train.add_argument("--commercial-only", action="store_true", help="leave out non-commercial data (GermEval 2017)")
    train.add_argument("--skip-cv", action="store_true", help="fit the final models only (faster, no metrics)")
    train.set_defaults(func=run_train)

    evaluate = subparsers.add_parser("eval", help="evaluate a model on a labelled TSV (text, label)")
    evaluate.add_argument("task", choices=["sentiment", "toxicity"])
    evaluate.add_argument("--data", type=Path, required=True, help="TSV with 'text' and 'label' columns")
    evaluate.add_argument("--models-dir", type=Path, default=None)
    evaluate.set_defaults(func=run_eval)

    score = subparsers.add_parser("score", help="score a TSV (stdin or --input) to stdout")
    score.add_argument("--input", type=Path, default=None, help="default: stdin")
    score.add_argument("--models-dir", type=Path, default=None)
    score.set_defaults(func=run_score)


def run_train(args: argparse.Namespace) -> int:
    """Train every model and write the bundle and metrics."""
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from warner.scoring.data import MissingDataError
    from warner.scoring.models import default_models_dir
    from warner.scoring.train import TrainSettings, train

    console = Console(stderr=True)
    data_dir: Path = args.data_dir
    if not data_dir.is_dir():
        console.print(f"[red]data directory not found: {data_dir.resolve()}[/red] (pass --data-dir)")
        return 2
    settings = TrainSettings(
        data_dir=data_dir,
        out=args.out or default_models_dir(),
        commercial_only=args.commercial_only,
        cross_validate=not args.skip_cv,
    )
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("training", total=None)
        try:
            train(settings, lambda msg: progress.update(task, description=msg))
        except (MissingDataError, RuntimeError) as err:
            console.print(f"[red]{err}[/red]")
            return 2
        progress.update(task, description="done")
        bundle = settings.out / "scoring.skops"
    console.print(
        f"wrote {bundle} ({bundle.stat().st_size / 1e6:.1f} MB) and metrics.json "
        f"in {progress.tasks[0].elapsed or 0:.1f} s"
    )
    return 0


def run_eval(args: argparse.Namespace) -> int:
    """Print accuracy, micro/macro-F1, per-class F1 and the confusion matrix."""
    from warner.scoring.data import labelled_tsv
    from warner.scoring.evaluate import format_report, report
    from warner.scoring.models import load_scorer

    if not args.data.is_file():
        print(f"no such file: {args.data}", file=sys.stderr)
        return 2
    try:
        examples = labelled_tsv(args.data)
    except ValueError as err:
        print(err, file=sys.stderr)
        return 2
    scores = load_scorer(args.models_dir).score([e.text for e in examples])
    truth = [e.label for e in examples]
    predicted: list[str]
    if args.task == "sentiment":
        predicted = [s.sentiment for s in scores]
        labels = ["negative", "neutral", "positive"]
    else:
        predicted = ["offense" if s.offensive else "other" for s in scores]
        labels = ["offense", "other"]
    print(format_report(report(truth, predicted, labels), f"{args.task} on {args.data}"))
    return 0


def run_score(args: argparse.Namespace) -> int:
    """Stream a TSV through the scorer (see ``warner.scoring.tsv`` for the contract)."""
    from warner.scoring.models import load_scorer
    from warner.scoring.tsv import MissingTextColumnError, score_tsv

    _logs_to_stderr()
    scorer = load_scorer(args.models_dir)
    _utf8(sys.stdout)
    try:
        if args.input is None:
            _utf8(sys.stdin)
            score_tsv(sys.stdin, sys.stdout, scorer)
        else:
            with args.input.open(encoding="utf-8", newline="") as source:
                score_tsv(source, sys.stdout, scorer)
    except (MissingTextColumnError, FileNotFoundError) as err:
        print(err, file=sys.stderr)
        return 2
    return 0


def _logs_to_stderr() -> None:
    """stdout carries the TSV: if the app has not configured structlog, log to stderr."""
    import structlog

    if not structlog.is_configured():
        structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))


def _utf8(stream: object) -> None:
    """The TSV contract is UTF-8 whatever the locale; csv wants newline=''."""
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is not None:
        reconfigure(encoding="utf-8", newline="")
