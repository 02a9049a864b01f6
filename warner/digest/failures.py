"""Why a digest did not go out, in one line that says what to do — for the log, the metric and the CLI.

A failed send used to surface as whatever the library raised: python-telegram-bot turns a
404 from ``getMe`` into ``InvalidToken("The token `…` was rejected")`` (misleading for a
wrong ``base_url``, and it quotes the token), and the scheduler logged a full traceback every
minute. Here each failure gets a ``reason`` (a small fixed set: it is a metric label), a
``permanent`` flag (retrying will not help, so the scheduler gives up sooner) and a message
a person can act on without reading code.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from redis.exceptions import RedisError
from telegram.error import Forbidden, TelegramError

from warner.notify.telegram.errors import bot_start_problem

if TYPE_CHECKING:
    from warner.digest.mail import MailDelivery
    from warner.digest.telegram import DigestDelivery

TOKEN_REFUSED = "token_refused"  # the Bot API refused the token (401/404 on getMe): wrong token or base_url
TELEGRAM_UNREACHABLE = "telegram_unreachable"  # network error, timeout, 5xx, flood limit: try again later
RECIPIENTS_REFUSED = "recipients_refused"  # every recipient refused the digest (blocked or unknown chat, bounced)
NOT_CONFIGURED = "not_configured"  # a secret the config names is missing
MAIL_UNREACHABLE = "mail_unreachable"  # the SMTP server is down, slow or deferred the mail (4xx): try again later
REDIS = "redis"  # the figures could not be read
ERROR = "error"  # anything else (a bug): the traceback is logged at debug level
REASONS = (TOKEN_REFUSED, TELEGRAM_UNREACHABLE, RECIPIENTS_REFUSED, NOT_CONFIGURED, MAIL_UNREACHABLE, REDIS, ERROR)



class DigestFailure(Exception):
    """The digest of a week did not go out; ``str()`` is the one line to show."""

    def __init__(self, reason: str, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.reason, self.message, self.permanent = reason, message, permanent


def bot_failure(exc: TelegramError, base_url: str, token_env: str = "TELEGRAM_BOT_TOKEN") -> DigestFailure:
    """The failure for an error while the bot starts (``getMe``); never quotes the token."""
    problem = bot_start_problem(exc, base_url, token_env)
    reason = TELEGRAM_UNREACHABLE if problem.unreachable else TOKEN_REFUSED
    return DigestFailure(reason, problem.line, permanent=not problem.unreachable)


def delivery_failure(
    week: str, deliveries: Sequence[DigestDelivery], mails: Sequence[MailDelivery] = ()
) -> DigestFailure | None:
    """The failure when no recipient got the digest, on Telegram or by mail (None when one did: a sent digest)."""
    attempts = [(str(d.chat_id), d.ok, d.permanent, d.error) for d in deliveries]
    attempts += [(m.address, m.ok, m.permanent, m.error) for m in mails]
    if not attempts or any(ok for _, ok, _, _ in attempts):
        return None
    errors = "; ".join(f"{target}: {error}" for target, _, _, error in attempts)
    if all(permanent for _, _, permanent, _ in attempts):
        telegram = "each person's telegram_id (oncall.people) and that they have sent /start to the bot"
        email = "each person's email (oncall.people) and notify.email"
        checks = [what for what, used in ((telegram, deliveries), (email, mails)) if used]
        return DigestFailure(
            RECIPIENTS_REFUSED,
            f"no recipient accepted the digest of {week} ({errors}): check {' and '.join(checks)}",
            permanent=True,
        )
    return DigestFailure(
        TELEGRAM_UNREACHABLE if deliveries else MAIL_UNREACHABLE,
        f"the digest of {week} reached none of its {len(attempts)} recipients ({errors}); it is tried again",
        permanent=False,
    )


def recipient_hint(delivery: DigestDelivery) -> str:
    """What to do about one recipient the digest did not reach."""
    if isinstance(delivery.error, str) and delivery.error.startswith(Forbidden.__name__):
        return "they must open the bot and send /start (or unblock it)"
    if delivery.permanent:
        return "check their telegram_id in oncall.people"
    return "try again later"


def as_failure(exc: BaseException) -> DigestFailure:
    """Any exception from building or sending a digest, as a DigestFailure."""
    if isinstance(exc, DigestFailure):
        return exc
    if isinstance(exc, RedisError):
        return DigestFailure(REDIS, f"Redis: {type(exc).__name__}: {exc}", permanent=False)
    return DigestFailure(ERROR, f"{type(exc).__name__}: {exc}", permanent=False)
