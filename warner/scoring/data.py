"""Training corpora from ``../shared/data``: what is read, and what is never read.

Public test splits are excluded here, in one place, so no training or tuning step can
see them: sb10k ``test.tsv`` and PotTS rows with ``split == test``. SemEval is different:
the whole 2013-2016 collection, the older years' test sets included, is the SemEval 2017
training data (2017's teams trained on it); only the 2017 test set is held out, and it is
not in ../shared. So all of it is read. Each example carries its ``corpus`` and ``split``
(for SemEval the original file), so validation can leave a whole source or year out;
``--commercial-only`` leaves GermEval 2017 (non-commercial) unread.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

NON_COMMERCIAL = frozenset({"germeval2017"})


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled text from a named corpus split."""

    text: str
    label: str
    corpus: str
    split: str


class MissingDataError(FileNotFoundError):
    """Raised when the shared data directory or one of its files is absent."""


def _rows(path: Path) -> Iterator[dict[str, str]]:
    if not path.is_file():
        raise MissingDataError(f"training file not found: {path}")
    csv.field_size_limit(sys.maxsize)
    with path.open(encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)


def german_sentiment(data_dir: Path, commercial_only: bool = False) -> list[Example]:
    """GermEval 2017 dev (unless commercial_only), sb10k train+dev, PotTS train+dev."""
    out: list[Example] = []
    if not commercial_only:
        out += [Example(r["text"], r["label"], "germeval2017", "dev") for r in _rows(data_dir / "germeval2017/dev.tsv")]
    for split in ("train", "dev"):
        out += [Example(r["text"], r["label"], "sb10k", split) for r in _rows(data_dir / f"sb10k/{split}.tsv")]
    out += [
        Example(r["text"], r["label"], "potts", r["split"])
        for r in _rows(data_dir / "potts/all.tsv")
        if r["split"] in ("train", "dev")
    ]
    return out


def english_sentiment(data_dir: Path) -> list[Example]:
    """The whole SemEval 2017 4A training collection (2013-2016); ``split`` is the original file."""
    return [
        Example(r["text"], r["label"], "semeval2017_4a", r["source"])
        for r in _rows(data_dir / "semeval2017_4a/train.tsv")
    ]


def german_offence(data_dir: Path) -> list[Example]:
    """GermEval 2018 train, coarse label: offense | other."""
    return [Example(r["text"], r["label"], "germeval2018", "train") for r in _rows(data_dir / "germeval2018/train.tsv")]


def labelled_tsv(path: Path) -> list[Example]:
    """Any UTF-8 TSV with ``text`` and ``label`` columns (for ``warner eval``)."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, dialect="excel-tab")
        if not reader.fieldnames or not {"text", "label"} <= set(reader.fieldnames):
            raise ValueError(f"{path} needs a header with 'text' and 'label' columns")
        return [Example(r["text"] or "", r["label"], path.stem, "eval") for r in reader]
