"""The bot side: button presses and commands from Telegram, turned into incident actions.

The Drafts button under an alert lists the best drafts with one button each; choosing one
sends its text ready to copy (see ``drafts.py``) and the backend records who chose what.

A stranger's ``/start`` is answered with their user id and the chat id and where each goes in
the config: that is how a new user finds the numbers set-up asks for. Replies are in the
person's configured language, else in the language of their Telegram app. The command menu
(``setMyCommands``) is registered, in both languages, whenever the bot starts.

Handlers are registered in one place (``build_application``); each one parses, checks and
delegates — to ``IncidentActions`` for what happens to an incident and to a
``TelegramBackend`` for who someone is and what to tell them. Every refusal (forged or
stale button, unknown user) is answered, so the client stops spinning, and logged.

``/login`` sends a known person, in a private chat only, a link that signs them in to the web
console once, within minutes; the backend issues it (``TelegramBackend.login_link``).

Why ~490 lines in one module: one short handler per button and command, all registered in
``build_application``, so that everything the bot answers to is in one file; the texts, the
keyboard, the rendering and the drafts list live in their own modules beside it.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeAlias

import structlog
from telegram import BotCommand, CallbackQuery, InlineKeyboardMarkup, LinkPreviewOptions, Message, Update
from telegram.constants import ChatType, ParseMode, UpdateType
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, ExtBot, JobQueue

from warner.core import Action, Language
from warner.notify.base import IncidentActions
from warner.notify.telegram import drafts, texts
from warner.notify.telegram.channel import EditedMessages
from warner.notify.telegram.config import TelegramConfig, derive_callback_key
from warner.notify.telegram.drafts import ChosenDraft, DraftOption
from warner.notify.telegram.keyboard import CallbackRefused, CallbackSigner, Press, drafts_keyboard
from warner.notify.telegram.render import with_state_line

log = structlog.get_logger(__name__)

# what ``Application.builder().build()`` returns: PTB's default bot, context and data types
BotApplication: TypeAlias = Application[
    ExtBot[None],
    ContextTypes.DEFAULT_TYPE,
    dict[Any, Any],
    dict[Any, Any],
    dict[Any, Any],
    JobQueue[ContextTypes.DEFAULT_TYPE],
]
VIA = "telegram"
ALLOWED_UPDATES = [UpdateType.MESSAGE, UpdateType.CALLBACK_QUERY]
_TERMINAL: frozenset[Action] = frozenset({"resolve", "false_alarm"})  # the alert loses its buttons
_DEPS = "warner"
_ANSWER_CHARS = 200  # answerCallbackQuery text limit
_MESSAGE_CHARS = 4096
POLL_TIMEOUT_S = 10


class TelegramBackend(Protocol):
    """What the bot needs to know from the rest of warner (on-call schedule, incident store, playbooks)."""

    def person_for_telegram(self, user_id: int) -> str | None:
        """The config person id of this Telegram user, or None for a stranger."""
        ...

    def language_for(self, person: str) -> Language | None:
        """The language configured for ``person``; None when the config does not say (a group member)."""
        ...

    async def test_page(self, person: str, language: Language) -> str:
        """Send a test page to ``person`` through each of their channels; plain text saying what each answered.

        Raises ``LookupError`` when ``person`` is no configured person (a member of an allowed group).
        """
        ...

    async def oncall_text(self, language: Language) -> str:
        """Plain text: who is on call now (and next)."""
        ...

    async def incidents_text(self, language: Language) -> str:
        """Plain text: open incidents with their ids and states."""
        ...

    async def drafts(self, incident_id: str, language: Language) -> list[DraftOption]:
        """The drafts that fit the incident, best first (the bot shows the first three); may be empty.

        Raises ``LookupError`` for an unknown incident.
        """
        ...

    async def choose_draft(self, incident_id: str, key: str, language: Language, person: str) -> ChosenDraft:
        """Draft ``key`` rendered for the incident; records the choice and ``person`` in the incident timeline.

        Raises ``LookupError`` for an unknown incident or draft key and ``PermissionError`` for a
        person who may not act on it.
        """
        ...

    def login_link_seconds(self) -> int | None:
        """How long a sign-in link to the web console works; None when there is no console (``web.port``)."""
        ...

    async def login_link(self, person: str) -> str:
        """A link that signs ``person`` in to the web console once, within ``login_link_seconds()``.

        Raises ``LookupError`` when ``person`` is no configured person.
        """
        ...


@dataclass(frozen=True, slots=True)
class _Deps:
    config: TelegramConfig
    signer: CallbackSigner
    actions: IncidentActions
    backend: TelegramBackend
    clock: Callable[[], float]
    edits: EditedMessages


def build_application(
    config: TelegramConfig,
    token: str,
    actions: IncidentActions,
    backend: TelegramBackend,
    *,
    callback_key: bytes | None = None,
    clock: Callable[[], float] = time.time,
    edits: EditedMessages | None = None,
) -> BotApplication:
    """The python-telegram-bot Application with warner's handlers; start it with start_polling or start_webhook.

    ``callback_key`` signs the buttons (``TelegramConfig.secrets().callback_key``); default: derived from the token.
    ``edits`` is the alert channel's log of edited messages (``TelegramChannel.edits``): a pressed alert the
    channel already edited is not edited again.
    """
    signer = CallbackSigner(callback_key or derive_callback_key(token), config.stale_after)
    application = (
        Application.builder()
        .token(token)
        .base_url(f"{config.base_url}/bot")
        .base_file_url(f"{config.base_url}/file/bot")
        .get_updates_read_timeout(POLL_TIMEOUT_S + 10)
        .build()
    )
    application.bot_data[_DEPS] = _Deps(config, signer, actions, backend, clock, edits or EditedMessages())
    application.add_handler(CallbackQueryHandler(on_button))
    application.add_handler(CommandHandler("ack", on_ack))
    application.add_handler(CommandHandler("oncall", on_oncall))
    application.add_handler(CommandHandler("incidents", on_incidents))
    application.add_handler(CommandHandler("test", on_test))
    application.add_handler(CommandHandler("login", on_login))
    application.add_handler(CommandHandler(["help", "start"], on_help))
    application.add_error_handler(on_error)
    return application


async def start_polling(application: BotApplication, poll_timeout_s: int = POLL_TIMEOUT_S) -> None:
    """Start handling updates by long polling (removes any webhook first)."""
    await application.initialize()
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(timeout=poll_timeout_s, allowed_updates=ALLOWED_UPDATES)
    await register_commands(application)
    log.info("telegram_polling_started", bot=application.bot.username)


async def start_webhook(application: BotApplication, url: str, secret_token: str) -> None:
    """Start handling updates that the webhook route puts on the update queue; tell Telegram the URL."""
    await application.initialize()
    await application.start()
    await application.bot.set_webhook(url, secret_token=secret_token, allowed_updates=ALLOWED_UPDATES)
    await register_commands(application)
    log.info("telegram_webhook_started", bot=application.bot.username, url=url)


async def register_commands(application: BotApplication) -> None:
    """The command menu: German for everyone, English for English apps. A failure only costs the menu."""
    try:
        languages: tuple[tuple[Language, str | None], ...] = (("de", None), ("en", "en"))
        for language, code in languages:
            commands = [BotCommand(name, description) for name, description in texts.COMMANDS[language]]
            await application.bot.set_my_commands(commands, language_code=code)
    except TelegramError as exc:
        log.warning("telegram_commands_not_registered", error=exc.message)
        return
    log.info("telegram_commands_registered", commands=[name for name, _ in texts.COMMANDS["de"]])


async def stop(application: BotApplication) -> None:
    """Stop polling (if polling), stop handling updates and release the HTTP clients."""
    if application.updater is not None and application.updater.running:
        await application.updater.stop()
    if application.running:
        await application.stop()
    await application.shutdown()


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button under an alert or a drafts list: verify, authorise, act or show drafts, answer."""
    deps: _Deps = context.bot_data[_DEPS]
    query = update.callback_query
    assert query is not None
    lang = _language(update, deps)
    where = {"user_id": query.from_user.id, "chat_id": update.effective_chat.id if update.effective_chat else None}
    try:
        press = deps.signer.verify_press(query.data, deps.clock())
    except CallbackRefused as exc:
        log.warning("telegram_callback_refused", reason=exc.reason, detail=str(exc), **where)
        key = "refused_stale" if exc.reason == "stale" else "refused_forged"
        await query.answer(texts.text(lang, key), show_alert=True)
        return
    incident_id, action = press.incident_id, press.action
    person = _person(update, deps)
    if person is None:
        log.warning(
            "telegram_callback_refused",
            reason="unauthorised",
            incident_id=incident_id,
            action=action,
            draft=press.draft,
            **where,
        )
        await query.answer(texts.text(lang, "refused_unauthorised"), show_alert=True)
        return
    try:
        mark = deps.edits.mark
        # for "drafts" the lifecycle only checks that the person may act on the incident
        state_line = await _act(deps, incident_id, action, person, where)
        if action == "drafts":
            answer = await _drafts(deps, query, press, person, lang, where)
        else:
            answer = state_line
            message = query.message
            # the pager edits every alert of the incident when its state changes; edit only what it did not
            if isinstance(message, Message) and not deps.edits.edited_since(message.chat_id, message.message_id, mark):
                await _show_state(message, state_line, action)
    except LookupError:
        await query.answer(texts.text(lang, "unknown_incident", incident_id=incident_id), show_alert=True)
        return
    except PermissionError:
        await query.answer(texts.text(lang, "refused_unauthorised"), show_alert=True)
        return
    except Exception:
        await query.answer(texts.text(lang, "failed"), show_alert=True)
        raise  # logged by on_error
    await query.answer(answer[:_ANSWER_CHARS] or None)


async def _drafts(
    deps: _Deps, query: CallbackQuery, press: Press, person: str, lang: Language, where: Mapping[str, object]
) -> str:
    """Send the drafts list (Drafts button) or the chosen draft (a draft button) to the chat; the answer text."""
    if query.message is None:  # pressed in an inline message: no chat to write to
        return ""
    chat_id, incident_id = query.message.chat.id, press.incident_id
    if press.draft is None:
        options = (await deps.backend.drafts(incident_id, lang))[: drafts.TOP_DRAFTS]
        await query.get_bot().send_message(
            chat_id,
            drafts.render_list(incident_id, options, lang),
            parse_mode=ParseMode.HTML,
            reply_markup=_drafts_keyboard(deps, incident_id, options),
        )
        log.info("telegram_drafts_listed", incident_id=incident_id, person=person, drafts=len(options), **where)
        return ""
    chosen = await deps.backend.choose_draft(incident_id, press.draft, lang, person)
    log.info("telegram_draft_chosen", incident_id=incident_id, draft=press.draft, person=person, **where)
    for part in drafts.render_chosen(incident_id, chosen, lang):
        await query.get_bot().send_message(
            chat_id, part, parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)
        )
    return drafts.text(lang, "sent")


def _drafts_keyboard(deps: _Deps, incident_id: str, options: list[DraftOption]) -> InlineKeyboardMarkup | None:
    if not options:
        return None
    try:
        return drafts_keyboard(deps.signer, incident_id, options, deps.clock())
    except ValueError as exc:  # an id or key too long for 64 bytes: the list still helps
        log.warning("telegram_keyboard_omitted", incident_id=incident_id, error=str(exc))
        return None


async def on_ack(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/ack <incident id>: acknowledge without a button."""
    deps: _Deps = context.bot_data[_DEPS]
    message, lang = update.effective_message, _language(update, deps)
    assert message is not None
    person = _authorised(update, deps, "ack")
    if person is None:
        await message.reply_text(texts.text(lang, "refused_command"))
        return
    args = context.args or []
    if len(args) != 1:
        await message.reply_text(texts.text(lang, "ack_usage"))
        return
    incident_id = args[0]
    where = {"user_id": update.effective_user.id if update.effective_user else None, "chat_id": message.chat_id}
    try:
        state_line = await _act(deps, incident_id, "ack", person, where)
    except LookupError:
        state_line = texts.text(lang, "unknown_incident", incident_id=incident_id)
    except PermissionError:
        state_line = texts.text(lang, "refused_unauthorised")
    await message.reply_text(state_line)


async def on_oncall(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/oncall: who is on call now."""
    deps: _Deps = context.bot_data[_DEPS]
    await _reply(update, deps, "oncall", deps.backend.oncall_text)


async def on_incidents(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/incidents: the open incidents."""
    deps: _Deps = context.bot_data[_DEPS]
    await _reply(update, deps, "incidents", deps.backend.incidents_text)


async def on_help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/help and /start: the commands; for a stranger, their ids and where they go in the config."""
    deps: _Deps = context.bot_data[_DEPS]
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    if message is None or user is None or chat is None:
        return
    lang = _language(update, deps)
    if _person(update, deps) is not None:
        await message.reply_text(texts.text(lang, "help"))
        return
    log.info("telegram_stranger_started", user_id=user.id, chat_id=chat.id, chat_type=chat.type)
    group = chat.type != ChatType.PRIVATE
    where = texts.text(lang, "stranger_group" if group else "stranger_private", chat_id=chat.id)
    await message.reply_text(texts.text(lang, "stranger", user_id=user.id, chat_id=chat.id, group=where))


async def on_test(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/test: a test page to the sender through each of their channels; the reply says what each answered."""
    deps: _Deps = context.bot_data[_DEPS]
    message, user, lang = update.effective_message, update.effective_user, _language(update, deps)
    if message is None or user is None:
        return
    person = _authorised(update, deps, "test")
    if person is None:
        await message.reply_text(texts.text(lang, "refused_command"))
        return
    try:
        report = await deps.backend.test_page(person, lang)
    except LookupError:  # a member of an allowed group, not a configured person: nobody to page
        await message.reply_text(texts.text(lang, "test_needs_person", user_id=user.id))
        return
    log.info("telegram_test_page", person=person, user_id=user.id, chat_id=message.chat_id)
    await message.reply_text(report[:_MESSAGE_CHARS])


async def on_login(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/login: a single-use sign-in link to the web console; only for a configured person, only in a private chat."""
    deps: _Deps = context.bot_data[_DEPS]
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    if message is None or user is None or chat is None:
        return
    lang = _language(update, deps)
    if chat.type != ChatType.PRIVATE:  # a link in a group would sign in whoever clicks it first
        log.info("telegram_login_refused", reason="group", user_id=user.id, chat_id=chat.id)
        await message.reply_text(texts.text(lang, "login_private_only"))
        return
    person = deps.backend.person_for_telegram(user.id)  # a configured person: group members get no link
    if person is None:
        await _refuse_login(message, user.id, lang)
        return
    seconds = deps.backend.login_link_seconds()
    if seconds is None:
        await message.reply_text(texts.text(lang, "login_no_console"))
        return
    try:
        url = await deps.backend.login_link(person)
    except LookupError:  # no longer configured
        await _refuse_login(message, user.id, lang)
        return
    log.info("telegram_login_link", person=person, user_id=user.id, valid_s=seconds)  # never the link itself
    await message.reply_text(
        texts.text(lang, "login_link", url=url, valid=_duration(lang, seconds)),
        link_preview_options=LinkPreviewOptions(is_disabled=True),  # a preview fetch would use the link up
        protect_content=True,  # no forwarding
    )


async def _refuse_login(message: Message, user_id: int, lang: Language) -> None:
    log.warning("telegram_command_refused", reason="unauthorised", command="login", user_id=user_id,
                chat_id=message.chat_id)  # fmt: skip
    await message.reply_text(texts.text(lang, "refused_command"))


def _duration(language: Language, seconds: int) -> str:
    if seconds % 60 == 0:
        return texts.counted(language, "minute", seconds // 60, str(seconds // 60))
    return texts.counted(language, "second", seconds, str(seconds))


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log what a handler raised; python-telegram-bot keeps running."""
    log.error("telegram_handler_failed", error=repr(context.error), update_id=getattr(update, "update_id", None))


async def _reply(update: Update, deps: _Deps, command: str, text_for: Callable[[Language], Awaitable[str]]) -> None:
    message, lang = update.effective_message, _language(update, deps)
    if message is None:
        return
    if _authorised(update, deps, command) is None:
        await message.reply_text(texts.text(lang, "refused_command"))
        return
    await message.reply_text(str(await text_for(lang))[:_MESSAGE_CHARS])


async def _act(deps: _Deps, incident_id: str, action: Action, person: str, where: Mapping[str, object]) -> str:
    """The new state line; LookupError (unknown incident) and PermissionError (may not act) are logged and raised."""
    try:
        state_line = await deps.actions.act(incident_id, action, person, VIA)
    except LookupError:
        log.info("telegram_unknown_incident", incident_id=incident_id, action=action, person=person, **where)
        raise
    except PermissionError as exc:
        log.warning(
            "telegram_action_refused",
            reason="forbidden",
            incident_id=incident_id,
            action=action,
            person=person,
            detail=str(exc),
            **where,
        )
        raise
    log.info("telegram_action", incident_id=incident_id, action=action, person=person, **where)
    return state_line


async def _show_state(message: Message, state_line: str, action: Action) -> None:
    """Edit the alert to show who did what; a finished incident's alert loses its buttons."""
    markup = None if action in _TERMINAL else message.reply_markup
    try:
        await message.edit_text(
            with_state_line(message.text_html, state_line), parse_mode=ParseMode.HTML, reply_markup=markup
        )
    except BadRequest as exc:
        if "message is not modified" not in exc.message.lower():
            log.warning(
                "telegram_edit_failed", error=exc.message, chat_id=message.chat_id, message_id=message.message_id
            )
    except TelegramError as exc:
        log.warning("telegram_edit_failed", error=exc.message, chat_id=message.chat_id, message_id=message.message_id)


def _person(update: Update, deps: _Deps) -> str | None:
    """Who is acting: a configured person, or a member of an allowed group chat (``telegram:<user id>``)."""
    user, chat = update.effective_user, update.effective_chat
    if user is None:
        return None
    person = deps.backend.person_for_telegram(user.id)
    if person is not None:
        return person
    if chat is not None and chat.id in deps.config.allowed_chat_ids:
        return f"telegram:{user.id}"
    return None


def _authorised(update: Update, deps: _Deps, command: str) -> str | None:
    person = _person(update, deps)
    if person is None:
        log.warning(
            "telegram_command_refused",
            reason="unauthorised",
            command=command,
            user_id=update.effective_user.id if update.effective_user else None,
            chat_id=update.effective_chat.id if update.effective_chat else None,
        )
    return person


def _language(update: Update, deps: _Deps) -> Language:
    """The configured person's language; else (a stranger, a group member) the language of their Telegram app."""
    user = update.effective_user
    if user is None:
        return texts.language_of(None)
    person = deps.backend.person_for_telegram(user.id)
    configured = deps.backend.language_for(person) if person is not None else None
    return configured or texts.language_of(user.language_code)
