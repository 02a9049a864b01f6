"""The trained scorer: one skops bundle, loaded once per process, scored in batches.

``models/scoring.skops`` holds the feature configuration, the shared IDF vector and
four linear heads (language, German and English sentiment, German offence). It is
loaded with skops and an explicit list of trusted types, never with pickle.
"""

from __future__ import annotations

import os
import re
import threading
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import structlog
from skops.io import dump, get_untrusted_types, load

import warner
from warner.core import TextLanguage, TextScore
from warner.scoring.base import Scorer
from warner.scoring.features import FeatureConfig, Featurizer
from warner.scoring.lexicon import LexiconScorer
from warner.scoring.linear import LinearHead
from warner.scoring.text import PLACEHOLDERS, normalise

log = structlog.get_logger(__name__)

BUNDLE_NAME = "scoring.skops"
FORMAT_VERSION = 1
BATCH_SIZE = 2048
# Everything in the bundle is a dict/list/str/int/float/bool or a numpy array. skops
# trusts those by default; anything else found in a file is refused unless listed here.
TRUSTED_TYPES: list[str] = []


def default_models_dir() -> Path:
    """``$WARNER_MODELS_DIR`` if set, else the repository's ``models/`` beside the package."""
    env = os.environ.get("WARNER_MODELS_DIR")
    return Path(env) if env else Path(warner.__file__).resolve().parent.parent / "models"


class ModelScorer:
    """TextLanguage id, sentiment (de/en) and offence from one shared feature matrix."""

    name = "tfidf-logreg"

    def __init__(self, bundle: dict[str, object]) -> None:
        config = FeatureConfig(**bundle["features"])  # type: ignore[arg-type]  # untyped data read by skops
        self.featurizer = Featurizer(config, np.asarray(bundle["idf"], dtype=np.float32))
        heads: dict[str, dict[str, object]] = bundle["heads"]  # type: ignore[assignment]  # untyped data read by skops
        self.lang = LinearHead.from_state(heads["lang"])
        self.sentiment_de = LinearHead.from_state(heads["sentiment_de"])
        self.sentiment_en = LinearHead.from_state(heads["sentiment_en"])
        self.toxicity = LinearHead.from_state(heads["toxicity"])
        self.offensive_threshold = float(bundle["offensive_threshold"])  # type: ignore[arg-type]  # untyped data read by skops
        self.name = f"tfidf-logreg-{bundle['variant']}"
        self._offence_column = self.toxicity.classes.index("offense")
        for head in (self.lang, self.sentiment_de, self.sentiment_en, self.toxicity):
            head.decision(self.featurizer.weight(self.featurizer.counts([""])))  # expand weights now

    def score(self, texts: Sequence[str], langs: Sequence[str | None] | None = None) -> list[TextScore]:
        hints: list[str | None] = list(langs) if langs is not None else [None] * len(texts)
        if len(hints) != len(texts):
            raise ValueError("langs must be None or as long as texts")
        out: list[TextScore] = []
        for start in range(0, len(texts), BATCH_SIZE):
            out += self._score_batch(list(texts[start : start + BATCH_SIZE]), hints[start : start + BATCH_SIZE])
        return out

    def _score_batch(self, texts: list[str], hints: list[str | None]) -> list[TextScore]:
        plain = [normalise(t) for t in texts]
        x = self.featurizer.weight(self.featurizer.counts_normalised(plain))
        langs = self._languages(x, plain, hints)
        is_en = np.array([lang == "en" for lang in langs])
        p_de = self.sentiment_de.predict_proba(x)
        p_en = self.sentiment_en.predict_proba(x)
        probs = np.where(is_en[:, None], p_en, p_de)
        classes = self.sentiment_de.classes
        neg = classes.index("negative")
        toxic = self.toxicity.predict_proba(x)[:, self._offence_column]
        labels = probs.argmax(axis=1)
        return [
            TextScore(
                lang=lang,
                sentiment=classes[label],
                p_negative=round(float(p[neg]), 4),
                toxicity=round(float(t), 4),
                offensive=bool(t >= self.offensive_threshold),
            )
            for lang, label, p, t in zip(langs, labels, probs, toxic, strict=True)
        ]

    def _languages(self, x: object, plain: list[str], hints: list[str | None]) -> list[TextLanguage]:
        predicted = self.lang.predict(x)
        out: list[TextLanguage] = []
        for hint, guess, text in zip(hints, predicted, plain, strict=True):
            code = (hint or "").split("-")[0].split("_")[0].lower()
            if code in ("de", "en"):
                out.append(code)  # type: ignore[arg-type]  # `in ("de", "en")` does not narrow str to the Literal
            elif code and code not in ("und", "other", "unknown", "zxx", "qme", "qht") or not _has_words(text):
                out.append("other")
            else:
                out.append(str(guess))  # type: ignore[arg-type]  # the language head's classes are de, en, other
        return out


def _has_words(plain: str) -> bool:
    return any(token not in PLACEHOLDERS and token[0].isalpha() and len(token) > 1 for token in plain.split())


def save_bundle(bundle: dict[str, object], path: Path) -> None:
    """Write a bundle with skops, then make the file byte-for-byte reproducible.

    skops names array files and schema ids after ``id()`` of the objects and stamps zip
    entries with the current time; both are renumbered/fixed here (the schema's ids
    keep their meaning: equal ids stay equal), so retraining does not churn git.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_suffix(".tmp")
    dump(bundle, scratch)
    with zipfile.ZipFile(scratch) as source:
        schema = source.read("schema.json").decode("utf-8")
        ids: dict[str, str] = {}

        def renumber(match: re.Match[str]) -> str:
            return match.group(1) + ids.setdefault(match.group(2), str(len(ids) + 1)) + match.group(3)

        schema = _SCHEMA_ID.sub(renumber, schema)
        with zipfile.ZipFile(path, "w") as target:
            _write_fixed(target, "schema.json", schema.encode("utf-8"))
            renamed = {}
            for name in source.namelist():
                stem, dot, ext = name.partition(".")
                if name != "schema.json":
                    renamed[ids.get(stem, stem) + dot + ext] = name
            for name in sorted(renamed):
                _write_fixed(target, name, source.read(renamed[name]))
    scratch.unlink()


_SCHEMA_ID = re.compile(r'("__id__":\s*|"file":\s*")(\d+)(\.npy"|)')


def _write_fixed(target: zipfile.ZipFile, name: str, payload: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.external_attr = 0o644 << 16
    target.writestr(info, payload, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)


def load_bundle(path: Path) -> dict[str, object]:
    """Load a bundle, refusing any type outside ``TRUSTED_TYPES``."""
    untrusted = [t for t in get_untrusted_types(file=path) if t not in TRUSTED_TYPES]
    if untrusted:
        raise ValueError(f"{path} contains untrusted types: {untrusted}")
    bundle = load(path, trusted=TRUSTED_TYPES)
    if not isinstance(bundle, dict) or bundle.get("format") != FORMAT_VERSION:
        raise ValueError(f"{path} is not a warner scoring bundle of format {FORMAT_VERSION}")
    return bundle


_cache: dict[Path, Scorer] = {}
_lock = threading.Lock()


def load_scorer(models_dir: Path | None = None) -> Scorer:
    """The trained scorer from ``models_dir`` (default: see ``default_models_dir``), once per process.

    Falls back to ``LexiconScorer`` with a warning when the bundle is missing, so the
    pipeline still runs; a bundle that exists but cannot be read is an error.
    """
    directory = (models_dir or default_models_dir()).resolve()
    with _lock:
        if directory not in _cache:
            path = directory / BUNDLE_NAME
            if path.is_file():
                _cache[directory] = ModelScorer(load_bundle(path))
                log.info("scoring_models_loaded", path=str(path), scorer=_cache[directory].name)
            else:
                log.warning("scoring_models_missing", path=str(path), fallback=LexiconScorer.name)
                _cache[directory] = LexiconScorer()
        return _cache[directory]


__all__ = ["BUNDLE_NAME", "ModelScorer", "default_models_dir", "load_bundle", "load_scorer", "save_bundle"]


def default_scorer() -> Scorer:
    """The trained models when their artifacts are present, else the lexicon baseline."""
    return load_scorer()
