"""What went wrong when the bot started, in one line a person can act on.

python-telegram-bot turns a 404 from ``getMe`` into ``InvalidToken("The token `…` was
rejected")`` — misleading for a wrong ``base_url`` (a proxy, a typo), and it quotes the token.
The digest, the test page and anything else that starts a bot say instead what answered and
what to check, and never the token.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from telegram.error import BadRequest, InvalidToken, NetworkError, RetryAfter, TelegramError

# What Telegram answers getMe with for a wrong token or path; PTB keeps the text, not the status.
_STATUS_OF = {"not found": "404 Not Found", "unauthorized": "401 Unauthorized"}
_NOT_JSON = re.compile(r"^(?P<text>[^()]+?) \((?P<code>\d{3})\)\. Parsing the server response")


@dataclass(frozen=True, slots=True)
class BotStartProblem:
    """``line`` says what answered and what to check; ``unreachable``: worth another try later."""

    line: str
    unreachable: bool


def bot_start_problem(exc: TelegramError, base_url: str, token_env: str) -> BotStartProblem:
    """The problem behind an error of ``getMe`` (the bot's start)."""
    getme = f"{base_url}/bot<token>/getMe"
    check = f"check the token in {token_env} (notify.telegram.token_env) and notify.telegram.base_url"
    if isinstance(exc, InvalidToken):
        cause = exc.__cause__ if isinstance(exc.__cause__, TelegramError) else None
        return BotStartProblem(f"Telegram refused the bot token ({_answer(cause)} from {getme}): {check}", False)
    if isinstance(exc, RetryAfter | NetworkError) and not isinstance(exc, BadRequest):
        return BotStartProblem(
            f"the Telegram Bot API at {base_url} did not answer ({type(exc).__name__}: {exc.message}): "
            "check notify.telegram.base_url and the network, or try again later",
            True,
        )
    return BotStartProblem(
        f"Telegram refused to start the bot ({type(exc).__name__}: {exc.message} from {getme}): {check}", False
    )


def _answer(cause: TelegramError | None) -> str:
    """The answer as "404 Not Found", from what PTB kept of it (the description, or its text for a non-JSON body)."""
    if cause is None:
        return "refused"
    text = cause.message.strip()
    if text.lower() in _STATUS_OF:
        return _STATUS_OF[text.lower()]
    plain = _NOT_JSON.match(text)
    if plain:  # something answered that is not the Bot API: a wrong base_url more likely than a wrong token
        return f"{plain['code']} {plain['text']}, not a Bot API answer"
    return text
