"""structlog set-up: readable on a terminal, JSON lines everywhere else; secrets never printed.

:class:`SecretRedactor` runs last before the renderer. It blanks the values of keys that
name a secret (``token``, ``authorization``, …) and any string, or word of a string, equal to
a secret registered at startup (:func:`register_secrets`). It keeps only SHA-256 digests of
those secrets, so the log set-up never holds a plaintext copy of them.
"""

from __future__ import annotations

import hashlib
import logging
import re
import sys
from collections.abc import Iterable, Mapping
from typing import Any

import structlog

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}


class _CurrentStderr:
    """Writes to whatever sys.stderr is at the time of writing (tests and tools swap it)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


REDACTED = "<redacted>"
MIN_SECRET_LENGTH = 6  # shorter values are too likely to occur by chance to be blanked everywhere

_SECRET_KEY = re.compile(r"token|secret|passw(or)?d|authorization|api_?key|credential|cookie", re.IGNORECASE)
_NOT_SECRET_KEY = re.compile(r"_envs?$", re.IGNORECASE)  # token_env names a variable; it is not its value
_WORD = re.compile(r"[^\s\"'`,;=<>()\[\]{}]+")
_PART = re.compile(r"[^:@/?&#]+")  # inside a word: URL userinfo, query values


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).digest()


class SecretRedactor:
    """A structlog processor that removes secrets from an event before it is rendered."""

    __slots__ = ("_digests",)

    def __init__(self) -> None:
        self._digests: set[bytes] = set()

    def register(self, secrets: Iterable[str | None]) -> None:
        """Remember these values (as digests) as secrets; blank and too short values are ignored."""
        self._digests.update(_digest(s) for s in secrets if s and len(s) >= MIN_SECRET_LENGTH)

    def clear(self) -> None:
        self._digests.clear()

    def __call__(self, logger: Any, method_name: str, event_dict: dict[str, Any]) -> dict[str, Any]:
        return {key: self._value(key, value) for key, value in event_dict.items()}

    def _value(self, key: Any, value: Any) -> Any:
        if isinstance(key, str) and _SECRET_KEY.search(key) and not _NOT_SECRET_KEY.search(key):
            if (isinstance(value, str | bytes) and value) or isinstance(value, Mapping | list | tuple):
                return REDACTED  # numbers and flags (token_count=3, has_token=True) stay readable
        return self._scrub(value)

    def _scrub(self, value: Any) -> Any:
        if isinstance(value, str):
            return self._scrub_text(value)
        if isinstance(value, bytes):
            return self._scrub_text(value.decode("utf-8", "replace")) if self._digests else value
        if isinstance(value, Mapping):
            return {k: self._value(k, v) for k, v in value.items()}
        if isinstance(value, list | tuple | set | frozenset):
            return [self._scrub(v) for v in value]
        if isinstance(value, int | float | bool) or value is None:
            return value
        return self._scrub_text(str(value)) if self._digests else value

    def _scrub_text(self, text: str) -> str:
        if not self._digests or len(text) < MIN_SECRET_LENGTH:
            return text
        if _digest(text) in self._digests:
            return REDACTED
        return _WORD.sub(self._scrub_word, text)

    def _scrub_word(self, match: re.Match[str]) -> str:
        word = match.group(0)
        if len(word) < MIN_SECRET_LENGTH:
            return word
        if _digest(word) in self._digests:
            return REDACTED
        return _PART.sub(self._scrub_part, word)

    def _scrub_part(self, match: re.Match[str]) -> str:
        part = match.group(0)
        return REDACTED if len(part) >= MIN_SECRET_LENGTH and _digest(part) in self._digests else part


REDACTOR = SecretRedactor()
"""The one redactor every configured logger uses; services register their secrets with it."""


def register_secrets(secrets: Iterable[str | None]) -> None:
    """Never print these values (as a whole or as a word of a message) into a log."""
    REDACTOR.register(secrets)


def configure_logging(level: str = "info", fmt: str = "auto") -> None:
    """Configure structlog (and the stdlib root logger, for libraries) once per process."""
    use_json = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer() if use_json else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,  # a plain traceback text the redactor can see (no locals)
            REDACTOR,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(_LEVELS[level]),
        logger_factory=structlog.PrintLoggerFactory(file=_CurrentStderr()),
        cache_logger_on_first_use=False,
    )
    logging.basicConfig(
        level=max(_LEVELS[level], logging.WARNING), stream=sys.stderr, format="%(name)s %(levelname)s %(message)s"
    )
