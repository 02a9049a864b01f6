"""A local stand-in for the Telegram Bot API (aiohttp on 127.0.0.1, port 0).

Enough of the API for python-telegram-bot to send, edit, answer and long-poll:
getMe, sendMessage, sendPhoto, editMessageText, answerCallbackQuery, getUpdates,
deleteWebhook, setWebhook, setMyCommands and getMyCommands (menus per language_code in
``commands``, checked as Telegram checks them). A file part of a multipart upload (sendPhoto's ``photo``) is
recorded as an ``UploadedFile`` with its bytes, length and whether it is a PNG. Every request is
recorded (``calls``); tests inject updates (``press``,
``command``), programme failures (``fail``) and revoke tokens (``valid_tokens``). HTML text is parsed into text and
entities like Telegram does, so ``Message.text_html`` round-trips.

    async with TelegramApiDouble() as api:
        app = build_application(config(base_url=api.base_url), TOKEN, ...)
        api.press(user_id=7, message=api.messages[(chat, msg)], data=...)
        await api.wait_for("answerCallbackQuery")
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from aiohttp import web

from doubles import serve_on_loopback

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_CAPTION = 1024
BOT_ID = 4242
BOT_USER = {"id": BOT_ID, "is_bot": True, "first_name": "warner", "username": "warner_test_bot"}
_ENTITY_TAGS = {"b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
                "s": "strikethrough", "code": "code", "pre": "pre", "a": "text_link"}  # fmt: skip


@dataclass
class ApiCall:
    method: str
    params: dict[str, Any]
    received_at: float = 0.0  # time.perf_counter() when the request reached the double (latency benchmarks)
    token: str = ""  # the bot token in the URL


@dataclass
class UploadedFile:
    """A file part of a multipart/form-data request."""

    filename: str
    content_type: str
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def is_png(self) -> bool:
        return self.data.startswith(PNG_SIGNATURE)

    @property
    def png_size(self) -> tuple[int, int] | None:
        """(width, height) from a PNG's IHDR chunk, or None for anything else."""
        if not self.is_png or len(self.data) < 24 or self.data[12:16] != b"IHDR":
            return None
        return int.from_bytes(self.data[16:20], "big"), int.from_bytes(self.data[20:24], "big")


@dataclass
class _Failure:
    status: int
    times: int
    retry_after: int | None = None
    description: str | None = None


@dataclass
class TelegramApiDouble:
    """The fake Bot API. ``base_url`` is what TelegramConfig.base_url should be."""

    calls: list[ApiCall] = field(default_factory=list)
    messages: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    unknown_chats: set[int] = field(default_factory=set)
    blocked_chats: set[int] = field(default_factory=set)
    webhook: dict[str, Any] | None = None
    commands: dict[str, list[dict[str, str]]] = field(default_factory=dict)  # language_code ("" = default) -> menu
    valid_tokens: set[str] | None = None  # None: any token works; else every other gets 401 (revoked, never made)

    def __post_init__(self) -> None:
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(100)
        self._failures: dict[str, list[_Failure]] = {}
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._closing = False
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> TelegramApiDouble:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._dispatch)
        self._runner, self.port = await serve_on_loopback(app)
        return self

    async def __aexit__(self, *exc: object) -> None:
        async with self._changed:
            self._closing = True  # long polls in flight return now
            self._changed.notify_all()
        if self._runner is not None:
            await self._runner.cleanup()

    # --- what tests use -------------------------------------------------------------------

    def fail(self, method: str, *, status: int = 500, times: int = 1, retry_after: int | None = None,
             description: str | None = None) -> None:  # fmt: skip
        """The next ``times`` calls of ``method`` fail with ``status`` (429 with ``retry_after``)."""
        self._failures.setdefault(method, []).append(_Failure(status, times, retry_after, description))

    def calls_of(self, method: str) -> list[dict[str, Any]]:
        return [c.params for c in self.calls if c.method == method]

    async def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[dict[str, Any]]:
        """The params of the first ``count`` calls of ``method``, waiting for them to arrive."""
        deadline = time.monotonic() + timeout
        async with self._changed:
            while len(self.calls_of(method)) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{method} called {len(self.calls_of(method))} times, expected {count}")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), left)
        return self.calls_of(method)[:count]

    def user(self, user_id: int, first_name: str = "Anna", language_code: str = "de") -> dict[str, Any]:
        return {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": language_code}

    def callback_update(self, user: dict[str, Any], message: dict[str, Any], data: str) -> dict[str, Any]:
        """An Update for pressing a button with ``data`` under ``message`` (not queued)."""
        query = {"id": f"cq{next(self._update_ids)}", "from": user, "message": message,
                 "chat_instance": f"ci{message['chat']['id']}", "data": data}  # fmt: skip
        return {"update_id": next(self._update_ids), "callback_query": query}

    def command_update(self, user: dict[str, Any], text: str, chat_id: int | None = None) -> dict[str, Any]:
        """An Update for a message such as '/ack kesselberg:12' in ``chat_id`` (default: the private chat)."""
        chat = _chat(chat_id if chat_id is not None else user["id"])
        command = text.split()[0]
        message = {"message_id": next(self._message_ids), "date": int(time.time()), "chat": chat, "from": user,
                   "text": text,
                   "entities": [{"type": "bot_command", "offset": 0, "length": len(command)}]}  # fmt: skip
        return {"update_id": next(self._update_ids), "message": message}

    async def push(self, update: dict[str, Any]) -> None:
        """Queue an update for getUpdates."""
        async with self._changed:
            self._updates.append(update)
            self._changed.notify_all()

    async def press(self, user: dict[str, Any], message: dict[str, Any], data: str) -> None:
        await self.push(self.callback_update(user, message, data))

    async def command(self, user: dict[str, Any], text: str, chat_id: int | None = None) -> None:
        await self.push(self.command_update(user, text, chat_id))

    # --- the API --------------------------------------------------------------------------

    async def _dispatch(self, request: web.Request) -> web.Response:
        received_at = time.perf_counter()
        method = request.match_info["method"]
        params = await _params(request)
        token = request.match_info["token"]
        async with self._changed:
            self.calls.append(ApiCall(method, params, received_at, token))
            self._changed.notify_all()
        if self.valid_tokens is not None and token not in self.valid_tokens:
            return _error(401, "Unauthorized")
        failures = self._failures.get(method)
        if failures:
            failure = failures[0]
            failure.times -= 1
            if failure.times <= 0:
                failures.pop(0)
            return _failure(failure)
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return _error(404, "Not Found")
        try:
            return await handler(params)
        except ValueError as exc:  # HTML Telegram would not parse
            return _error(400, str(exc))

    async def _api_getMe(self, params: dict[str, Any]) -> web.Response:
        return _ok({**BOT_USER, "can_join_groups": True, "can_read_all_group_messages": False,
                    "supports_inline_queries": False})  # fmt: skip

    async def _api_deleteWebhook(self, params: dict[str, Any]) -> web.Response:
        self.webhook = None
        return _ok(True)

    async def _api_setWebhook(self, params: dict[str, Any]) -> web.Response:
        self.webhook = params
        return _ok(True)

    async def _api_answerCallbackQuery(self, params: dict[str, Any]) -> web.Response:
        return _ok(True)

    async def _api_setMyCommands(self, params: dict[str, Any]) -> web.Response:
        commands = params.get("commands")
        if isinstance(commands, str):
            commands = json.loads(commands)
        if not isinstance(commands, list) or len(commands) > 100:
            return _error(400, "Bad Request: commands must be an array of at most 100 BotCommand")
        for command in commands:
            name, description = command.get("command", ""), command.get("description", "")
            if not re.fullmatch(r"[a-z0-9_]{1,32}", name):
                return _error(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                return _error(400, "Bad Request: command description is empty or too long")
        self.commands[str(params.get("language_code") or "")] = commands
        return _ok(True)

    async def _api_getMyCommands(self, params: dict[str, Any]) -> web.Response:
        return _ok(self.commands.get(str(params.get("language_code") or ""), []))

    async def _api_getUpdates(self, params: dict[str, Any]) -> web.Response:
        offset = int(params.get("offset", 0) or 0)
        timeout = float(params.get("timeout", 0) or 0)
        deadline = time.monotonic() + timeout
        async with self._changed:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]  # confirmed ones are gone
            while not self._updates and not self._closing:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                try:
                    await asyncio.wait_for(self._changed.wait(), left)
                except TimeoutError:
                    break
            return _ok(list(self._updates))

    async def _api_sendMessage(self, params: dict[str, Any]) -> web.Response:
        chat_id = int(params["chat_id"])
        refused = self._refuse_chat(chat_id)
        if refused:
            return refused
        return _ok(self._store_message(chat_id, params))

    async def _api_editMessageText(self, params: dict[str, Any]) -> web.Response:
        chat_id, message_id = int(params["chat_id"]), int(params["message_id"])
        refused = self._refuse_chat(chat_id)
        if refused:
            return refused
        old = self.messages.get((chat_id, message_id))
        if old is None:
            return _error(400, "Bad Request: message to edit not found")
        new = _message_body(params)
        if (new["text"], new.get("entities"), new.get("reply_markup")) == (
            old["text"], old.get("entities"), old.get("reply_markup")
        ):  # fmt: skip
            return _error(400, "Bad Request: message is not modified: specified new message content and reply "
                               "markup are exactly the same as a current content and reply markup of "
                               "the message")  # fmt: skip
        message = {**{k: v for k, v in old.items() if k not in ("entities", "reply_markup")}, **new,
                   "edit_date": int(time.time())}  # fmt: skip
        self.messages[(chat_id, message_id)] = message
        return _ok(message)

    async def _api_sendPhoto(self, params: dict[str, Any]) -> web.Response:
        chat_id = int(params["chat_id"])
        refused = self._refuse_chat(chat_id)
        if refused:
            return refused
        photo = params.get("photo")
        if not isinstance(photo, UploadedFile) or not photo.size:
            return _error(400, "Bad Request: there is no photo in the request")
        size = photo.png_size
        if photo.is_png and size is None:
            return _error(400, "Bad Request: IMAGE_PROCESS_FAILED")
        width, height = size or (0, 0)
        caption = params.get("caption", "")
        if str(params.get("parse_mode", "")).upper() == "HTML":
            caption, entities = parse_html(caption)
        else:
            entities = []
        if len(caption) > MAX_CAPTION:
            return _error(400, "Bad Request: message caption is too long")
        message = {"message_id": next(self._message_ids), "date": int(time.time()), "chat": _chat(chat_id),
                   "from": BOT_USER, "photo": [{"file_id": f"photo{photo.size}", "file_unique_id": f"u{photo.size}",
                                                "width": width, "height": height,
                                                "file_size": photo.size}]}  # fmt: skip
        if caption:
            message["caption"] = caption
        if entities:
            message["caption_entities"] = entities
        self.messages[(chat_id, message["message_id"])] = message
        return _ok(message)

    def _refuse_chat(self, chat_id: int) -> web.Response | None:
        if chat_id in self.unknown_chats:
            return _error(400, "Bad Request: chat not found")
        if chat_id in self.blocked_chats:
            return _error(403, "Forbidden: bot was blocked by the user")
        return None

    def _store_message(self, chat_id: int, params: dict[str, Any]) -> dict[str, Any]:
        message = {"message_id": next(self._message_ids), "date": int(time.time()), "chat": _chat(chat_id),
                   "from": BOT_USER, **_message_body(params)}  # fmt: skip
        self.messages[(chat_id, message["message_id"])] = message
        return message


def _chat(chat_id: int) -> dict[str, Any]:
    if chat_id < 0:
        return {"id": chat_id, "type": "supergroup", "title": "Krisenstab"}
    return {"id": chat_id, "type": "private", "first_name": "Anna"}


def _message_body(params: dict[str, Any]) -> dict[str, Any]:
    if str(params.get("parse_mode", "")).upper() == "HTML":
        text, entities = parse_html(params["text"])
    else:
        text, entities = params["text"], []
    body: dict[str, Any] = {"text": text}
    if entities:
        body["entities"] = entities
    markup = params.get("reply_markup")
    if markup:
        body["reply_markup"] = markup
    return body


async def _params(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        params = dict(await request.json())
    else:
        params = dict(await request.post()) if request.can_read_body else dict(request.query)
    for key, value in params.items():
        if isinstance(value, web.FileField):
            params[key] = UploadedFile(value.filename, value.content_type, value.file.read())
    if isinstance(params.get("reply_markup"), str):
        params["reply_markup"] = json.loads(params["reply_markup"])
    return params


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(status: int, description: str, parameters: dict[str, Any] | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=status)


def _failure(failure: _Failure) -> web.Response:
    if failure.status == 429:
        after = failure.retry_after or 1
        return _error(429, failure.description or f"Too Many Requests: retry after {after}", {"retry_after": after})
    return _error(failure.status, failure.description or {500: "Internal Server Error", 502: "Bad Gateway"}.get(
        failure.status, "Error"))  # fmt: skip


def parse_html(markup: str) -> tuple[str, list[dict[str, Any]]]:
    """Telegram's HTML parse mode: plain text and entities (offsets in UTF-16 code units)."""
    parser = _EntityParser()
    parser.feed(markup)
    parser.close()
    if parser.open_tags:
        raise ValueError(f"Bad Request: can't parse entities: unclosed tags {parser.open_tags}")
    return parser.text, sorted(parser.entities, key=lambda e: (e["offset"], -e["length"]))


class _EntityParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text = ""
        self.entities: list[dict[str, Any]] = []
        self._open: list[tuple[str, int, dict[str, Any]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _ENTITY_TAGS:
            raise ValueError(f"Bad Request: can't parse entities: unsupported start tag {tag!r}")
        extra = {"url": dict(attrs).get("href") or ""} if tag == "a" else {}
        self._open.append((tag, _utf16_len(self.text), extra))

    def handle_endtag(self, tag: str) -> None:
        if not self._open or self._open[-1][0] != tag:
            raise ValueError(f"Bad Request: can't parse entities: unexpected end tag {tag!r}")
        _, start, extra = self._open.pop()
        length = _utf16_len(self.text) - start
        if length:
            self.entities.append({"type": _ENTITY_TAGS[tag], "offset": start, "length": length, **extra})

    @property
    def open_tags(self) -> list[str]:
        return [tag for tag, _, _ in self._open]

    def handle_data(self, data: str) -> None:
        self.text += data


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2
