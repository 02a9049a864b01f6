"""The trained scorer: one skops bundle, loaded once per process, scored in batches.

``models/scoring.skops`` holds the feature configuration, the shared IDF vector and
four linear heads (language, German and English sentiment, German offence). It is
loaded with skops and an explicit list of trusted types, never with pickle.
"""

from __future__ import annotations

import json
import os
import threading
import zipfile
from collections.abc import Sequence
from itertools import compress, repeat
from operator import is_
from pathlib import Path

import numpy as np
import structlog
from numpy.typing import NDArray
from skops.io import dump, get_untrusted_types, load

import warner
from warner.core import TextLanguage, TextScore
from warner.scoring import fused
from warner.scoring.base import Scorer
from warner.scoring.features import FeatureConfig, Featurizer
from warner.scoring.lexicon import LexiconScorer
from warner.scoring.linear import LinearHead
from warner.scoring.word_table import TextIds, WordTable

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


SCORE_MEMORY = 50_000  # distinct normalised texts whose scores a scorer remembers (then it starts afresh)


# What the models made of one normalised text: the language head's guess, whether it has words,
# sentiment and p_negative by the German head, the same by the English head, toxicity, offensive.
_Judged = tuple[str, bool, str, float, str, float, float, bool]


class ModelScorer:
    """TextLanguage id, sentiment (de/en) and offence from one shared feature matrix.

    Storms are full of copies (retweets, copy-paste campaigns), so the scores of a
    normalised text are remembered (``SCORE_MEMORY`` texts): a copy costs a lookup, not
    the models. ``lookups`` and ``hits`` count how often that paid off.
    """

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
        if self.sentiment_de.classes != self.sentiment_en.classes:
            raise ValueError("the German and English sentiment heads must have the same classes")
        # All four heads in one matrix: one pass over each text's features instead of four.
        ordered = (self.lang, self.sentiment_de, self.sentiment_en, self.toxicity)
        idf = self.featurizer.idf
        assert idf is not None  # a bundle always carries its idf
        self._rows = fused.head_rows(idf, np.hstack([head.dense() for head in ordered]))  # weights and idf
        self._intercepts = np.concatenate([head.intercept for head in ordered])
        self._splits = np.cumsum([head.coef.shape[0] for head in ordered])[:-1]
        self._table = WordTable(config)
        self._memory: dict[TextIds, _Judged] = {}
        self.lookups = 0
        self.hits = 0

    def score(self, texts: Sequence[str], langs: Sequence[str | None] | None = None) -> list[TextScore]:
        hints: list[str | None] = list(langs) if langs is not None else [None] * len(texts)
        if len(hints) != len(texts):
            raise ValueError("langs must be None or as long as texts")
        out: list[TextScore] = []
        for start in range(0, len(texts), BATCH_SIZE):
            out += self._score_batch(list(texts[start : start + BATCH_SIZE]), hints[start : start + BATCH_SIZE])
        return out

    def _score_batch(self, texts: list[str], hints: list[str | None]) -> list[TextScore]:
        table, memory = self._table, self._memory
        generation = table.generation
        keys = table.ids(texts)  # the normalised text, as token ids
        if table.generation != generation:  # the table started afresh: old ids mean other tokens now
            memory.clear()
        judged = list(map(memory.get, keys))
        self.lookups += len(keys)
        if None in judged:
            missing = list(dict.fromkeys(compress(keys, map(is_, judged, repeat(None)))))
            made = dict(zip(missing, self._judge(missing), strict=True))
            judged = [made[key] if j is None else j for key, j in zip(keys, judged, strict=True)]
            self.hits += len(keys) - len(missing)
            if len(memory) > SCORE_MEMORY:
                memory.clear()
            memory.update(made)
        else:
            self.hits += len(keys)
        return [_pick(hint, j) for hint, j in zip(hints, judged, strict=True)]  # type: ignore[arg-type]  # filled above

    def _judge(self, texts: list[TextIds]) -> list[_Judged]:
        z = self._table.logits(texts, self._rows, self._intercepts)
        z_lang, z_de, z_en, z_toxic = np.split(z, self._splits, axis=1)
        guesses = [self.lang.classes[i] for i in self.lang.probabilities(z_lang).argmax(axis=1).tolist()]
        classes = self.sentiment_de.classes
        neg = classes.index("negative")
        p_de = self.sentiment_de.probabilities(z_de)
        p_en = self.sentiment_en.probabilities(z_en)
        toxic = self.toxicity.probabilities(z_toxic)[:, self._offence_column]
        return list(zip(
            guesses,
            self._table.has_words(texts),
            map(classes.__getitem__, p_de.argmax(axis=1).tolist()),
            _four_places(p_de[:, neg]),
            map(classes.__getitem__, p_en.argmax(axis=1).tolist()),
            _four_places(p_en[:, neg]),
            _four_places(toxic),
            (toxic.astype(np.float64) >= self.offensive_threshold).tolist(),
            strict=True,
        ))


def _four_places(p: NDArray[np.floating]) -> list[float]:
    """``round(x, 4)`` of each, in one numpy pass (a Python round per value cost a microsecond a mention)."""
    return (np.rint(p.astype(np.float64) * 1e4) / 1e4).tolist()  # type: ignore[no-any-return]  # floats


def _pick(hint: str | None, judged: _Judged) -> TextScore:
    """The score in the mention's language: its hint if that is German or English, "other" for any other
    language (or none at all without words), else the language head's guess. Anything but English is
    scored with the German head."""
    guess, has_words, sentiment_de, p_de, sentiment_en, p_en, toxicity, offensive = judged
    code = (hint or "").split("-")[0].split("_")[0].lower()
    lang: TextLanguage
    if code == "de" or code == "en":
        lang = "de" if code == "de" else "en"
    elif code and code not in _NO_LANGUAGE or not has_words or guess not in ("de", "en"):
        lang = "other"
    else:
        lang = "de" if guess == "de" else "en"
    if lang == "en":
        return TextScore(lang, sentiment_en, p_en, toxicity, offensive)  # type: ignore[arg-type]  # the heads' classes are the sentiments
    return TextScore(lang, sentiment_de, p_de, toxicity, offensive)  # type: ignore[arg-type]  # as above


_NO_LANGUAGE = frozenset({"und", "other", "unknown", "zxx", "qme", "qht"})


def save_bundle(bundle: dict[str, object], path: Path) -> None:
    """Write a bundle with skops, then make the file byte-for-byte reproducible.

    skops names array files and schema ids after ``id()`` of the objects and stamps zip
    entries with the current time; both are renumbered/fixed here (``_canonical_schema``),
    so retraining does not churn git.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_suffix(".tmp")
    dump(bundle, scratch)
    with zipfile.ZipFile(scratch) as source:
        schema, files = _canonical_schema(json.loads(source.read("schema.json")))
        with zipfile.ZipFile(path, "w") as target:
            _write_fixed(target, "schema.json", json.dumps(schema).encode("utf-8"))
            for new_name, old_name in sorted(files.items()):
                _write_fixed(target, new_name, source.read(old_name))
    scratch.unlink()


def _canonical_schema(schema: dict[str, object]) -> tuple[dict[str, object], dict[str, str]]:
    """Number the schema's ids in order of appearance; returns the schema and new -> old array file names.

    An array (or any container) keeps one id wherever it is referenced, as skops wrote it. A plain
    value (``JsonNode``: numbers, strings) gets an id of its own at each place: whether two equal
    numbers were one Python object is an accident of CPython (small ints are shared, others
    sometimes), and it had made the file's bytes depend on how the training code built them.
    """
    ids: dict[int, int] = {}
    files: dict[str, str] = {}
    count = 0

    def fresh() -> int:
        nonlocal count
        count += 1
        return count

    def walk(node: object) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
        if not isinstance(node, dict):
            return
        if "__id__" in node:
            if node.get("__loader__") == "JsonNode":
                node["__id__"] = fresh()
            else:
                node["__id__"] = ids.setdefault(node["__id__"], fresh())
        if "file" in node:
            old = node["file"]
            node["file"] = f"{ids[int(old.partition('.')[0])]}.npy"
            files[node["file"]] = old
        for value in node.values():
            walk(value)

    walk(schema)
    return schema, files


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
