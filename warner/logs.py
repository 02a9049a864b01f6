"""structlog set-up: readable on a terminal, JSON lines everywhere else; secrets never printed.

:class:`SecretRedactor` runs last before the renderer. It blanks the values of keys that
name a secret (``token``, ``authorization``, …) and every occurrence, inside any text, of a
secret registered at startup (:func:`register_secrets`). It keeps SHA-256 digests of those
secrets (and a few leading characters to find them by), never a plaintext copy.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable, Mapping, MutableMapping
from typing import Any, TextIO, cast

import structlog

from warner.secret_digest import secret_digest

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}


class _CurrentStderr:
    """Writes to whatever sys.stderr is at the time of writing (tests and tools swap it)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


REDACTED = "<redacted>"
_HANDLER_NAME = "warner"
MIN_SECRET_LENGTH = 6  # shorter values are too likely to occur by chance to be blanked everywhere

_SECRET_KEY = re.compile(r"token|secret|passw(or)?d|authorization|api_?key|credential|cookie", re.IGNORECASE)
_NOT_SECRET_KEY = re.compile(r"_envs?$", re.IGNORECASE)  # token_env names a variable; it is not its value
# A credential header inside free text — a library's message quoting the raw request
# (``Authorization: Bearer …``, ``'Authorization': '…'``, ``b'…\\nCookie: …\\n'``): its value
# is blanked up to the end of the line, the quote or an escaped line break, registered or not.
_SECRET_HEADER = re.compile(  # no \b: in a bytes repr the name follows a literal "\n"
    r"(?P<name>(?:proxy-)?authorization|set-cookie|cookie|x-api-key|x-telegram-bot-api-secret-token"
    r"|x-twilio-signature|x-hub-signature(?:-256)?|x-warner-signature)"
    r"(?P<sep>['\"]?\s*[:=]\s*['\"]?)(?P<value>[^\r\n'\"\\]+)",
    re.IGNORECASE,
)
# A credential by its scheme, with or without a header name before it (aiohttp's LineTooLong
# quotes the header's value alone: ``b'Bearer …'``).
_SCHEME_CREDENTIAL = re.compile(r"\b(?P<scheme>Bearer|Basic|Digest)\s+[A-Za-z0-9._~+/=\-]{12,}", re.IGNORECASE)


def _anchor(secret: str) -> str:
    """The few leading characters a secret is searched by: at most a quarter of it, at most 4."""
    return secret[: max(1, min(4, len(secret) // 4))]


class SecretRedactor:
    """A structlog processor that removes secrets from an event before it is rendered.

    A registered secret is kept as its length, its digest and a short anchor (its first
    characters, at most a quarter of it). A text is searched for the anchors; where one
    occurs, the digest of the following characters is compared, so a secret is found inside
    any text (``…/bot<token>/sendMessage``) without a plaintext copy being held.
    """

    __slots__ = ("_by_anchor",)

    def __init__(self) -> None:
        self._by_anchor: dict[str, set[tuple[int, bytes]]] = {}

    def register(self, secrets: Iterable[str | None]) -> None:
        """Remember these values as secrets; blank and too short values are ignored."""
        for secret in secrets:
            if secret and len(secret) >= MIN_SECRET_LENGTH:
                self._by_anchor.setdefault(_anchor(secret), set()).add((len(secret), secret_digest(secret)))

    def clear(self) -> None:
        self._by_anchor.clear()

    def __call__(self, logger: Any, method_name: str, event_dict: MutableMapping[str, Any]) -> dict[str, Any]:
        return {key: self._value(key, value) for key, value in event_dict.items()}

    def _value(self, key: Any, value: Any) -> Any:
        secret_key = isinstance(key, str) and _SECRET_KEY.search(key) and not _NOT_SECRET_KEY.search(key)
        if secret_key and ((isinstance(value, str | bytes) and value) or isinstance(value, Mapping | list | tuple)):
            return REDACTED  # numbers and flags (token_count=3, has_token=True) stay readable
        return self._scrub(value)

    def _scrub(self, value: Any) -> Any:
        if isinstance(value, str):
            return self._scrub_text(value)
        if isinstance(value, Mapping):
            return {k: self._value(k, v) for k, v in value.items()}
        if isinstance(value, list | tuple | set | frozenset):
            return [self._scrub(v) for v in value]
        if isinstance(value, int | float | bool) or value is None or not self._by_anchor:
            return value
        text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
        scrubbed = self._scrub_text(text)
        return value if scrubbed is text else scrubbed

    def _scrub_text(self, text: str) -> str:
        if len(text) < MIN_SECRET_LENGTH:
            return text
        if _SECRET_HEADER.search(text):
            text = _SECRET_HEADER.sub(lambda m: m["name"] + m["sep"] + REDACTED, text)
        if _SCHEME_CREDENTIAL.search(text):
            text = _SCHEME_CREDENTIAL.sub(lambda m: m["scheme"] + " " + REDACTED, text)
        spans: list[tuple[int, int]] = []
        for anchor, candidates in self._by_anchor.items():
            at = text.find(anchor)
            while at >= 0:
                for length, digest in candidates:
                    if at + length <= len(text) and secret_digest(text[at : at + length]) == digest:
                        spans.append((at, at + length))
                at = text.find(anchor, at + 1)
        if not spans:
            return text
        out, end = [], 0
        for start, stop in sorted(spans):
            if start < end:  # overlaps the secret just blanked: extend that one
                end = max(end, stop)
                continue
            out += [text[end:start], REDACTED]
            end = stop
        out.append(text[end:])
        return "".join(out)


REDACTOR = SecretRedactor()
"""The one redactor every configured logger uses; services register their secrets with it."""


def redact_text(text: str) -> str:
    """``text`` with every registered secret and quoted credential blanked (for plain prints)."""
    return REDACTOR._scrub_text(text)


def register_secrets(secrets: Iterable[str | None]) -> None:
    """Never print these values (as a whole or as a word of a message) into a log."""
    REDACTOR.register(secrets)


def configure_logging(level: str = "info", fmt: str = "auto") -> None:
    """Configure structlog, and route every stdlib logger (aiohttp's, redis-py's, …) through
    the same redaction and rendering, once per process.

    Why the stdlib too: aiohttp logs a malformed request as a multi-line traceback that quotes
    the raw request, ``Authorization`` header included. Through ``ProcessorFormatter`` that
    record becomes one JSON object on one line (the traceback in ``exception``), and the
    redactor sees it like any structlog event.
    """
    use_json = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer() if use_json else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,  # a plain traceback text the redactor can see (no locals)
    ]
    structlog.configure(
        processors=[*shared, REDACTOR, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(_LEVELS[level]),
        # PrintLogger only writes and flushes; structlog's type asks for a whole TextIO
        logger_factory=structlog.PrintLoggerFactory(file=cast(TextIO, _CurrentStderr())),
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(_CurrentStderr())
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[structlog.stdlib.add_logger_name, structlog.stdlib.ExtraAdder(), *shared],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, REDACTOR, renderer],
        )
    )
    handler.set_name(_HANDLER_NAME)
    root = logging.getLogger()
    for old in list(root.handlers):  # ours from an earlier call, or basicConfig's; others (pytest's) stay
        if old.get_name() == _HANDLER_NAME or type(old) is logging.StreamHandler:
            root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(max(_LEVELS[level], logging.WARNING))
    logging.captureWarnings(True)  # Python's warnings too: one JSON line each, not raw stderr text
