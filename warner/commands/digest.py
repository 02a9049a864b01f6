"""``warner digest``: the weekly digest of one ISO week, as Markdown, HTML, Telegram messages or a mail.

Nothing leaves the machine unless asked: ``--format telegram`` prints what the recipients
would get, ``--format email`` writes the mail as an .eml file, ``--send`` delivers it on
Telegram and by mail (and saves the reports like the Monday digest does). A
failure is one line on stderr that says what to fix, never a traceback.

The command reads warner's Redis: the configured one, or the embedded server of a running
``warner run`` (attached quietly), or — when warner is not running — its data dir, which it
says once on stderr. Info events (embedded Redis started/stopped) are not shown; the
command's own lines say what happened (``--log-level info`` shows them again).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from warner.config.root import Config
    from warner.digest.weekly import Digest
    from warner.store.connection import RedisClient


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    digest = subparsers.add_parser(
        "digest",
        help="the weekly digest: incidents, MTTA/MTTR, false alarms, pages, mentions, a chart",
        description="Figures of one ISO week from warner's Redis (a running `warner run`'s, or its data dir). "
        "Prints the digest; only --send delivers it (Telegram, mail).",
    )
    digest.add_argument("--week", help="ISO week, e.g. 2026-W47 (default: the last complete week)")
    digest.add_argument(
        "--format",
        choices=("md", "html", "telegram", "email"),
        help="md (default), html, telegram: print the messages the recipients would get, without sending, "
        "or email: write the mail (.eml, chart inline) for a mail client to open",
    )
    digest.add_argument(
        "--send",
        action="store_true",
        help="deliver it to digest.recipients on Telegram and by mail (and save the reports) — "
        "what `warner run` does on Mondays",
    )
    digest.add_argument("--out", type=Path, help="write here instead of stdout (md) or the data dir (html)")
    digest.add_argument("--lang", choices=("de", "en"), default="de")
    digest.set_defaults(func=run_digest)


def run_digest(args: argparse.Namespace) -> int:
    from warner.commands.loading import load_for_command
    from warner.digest.schedule import due_week
    from warner.weeks import parse_week

    config = load_for_command(args)
    if args.log_level is None:
        _quiet()
    if args.send and args.format not in (None, "telegram"):
        print(f"error: --send delivers on Telegram and by mail; leave out --format {args.format}", file=sys.stderr)
        return 2
    week = args.week or due_week(time.time(), config.digest)
    try:
        parse_week(week, config.digest.time_zone)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return asyncio.run(_run(args, config, week))


def _quiet() -> None:
    """Only errors in the log: this command says what happened in its own lines.

    Only the level changes (the format ``load_for_command`` chose stays). python-telegram-bot's own
    logger is silenced too: for a non-JSON answer (a wrong ``base_url``) it logs a traceback
    of its JSON parser, next to the one line this command prints about the same thing.
    """
    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR))
    logging.getLogger("telegram").setLevel(logging.CRITICAL)


def _say_where(config: Config) -> None:
    """Tell once where the figures come from when it is not the running warner's Redis."""
    from warner.store.embedded import default_data_dir, running_url

    if config.redis_url is None and running_url(config.redis.data_dir) is None:
        data_dir = config.redis.data_dir or default_data_dir()
        print(f"warner is not running; reading its data dir {data_dir}", file=sys.stderr)


async def _run(args: argparse.Namespace, config: Config, week: str) -> int:
    from warner.digest.weekly import build_digest
    from warner.store.connection import open_redis

    _say_where(config)
    async with open_redis(config.redis, owner=False) as redis:
        if args.send:
            return await _send(redis, config, week)
        digest = await build_digest(redis, config, week, args.lang)
    return _print(args, config, week, digest)


async def _send(redis: RedisClient, config: Config, week: str) -> int:
    from warner.digest.failures import DigestFailure, recipient_hint
    from warner.digest.mail import mail_readers
    from warner.digest.schedule import mark_sent
    from warner.digest.weekly import recipients, send_weekly_digest
    from warner.logs import redact_text

    on_telegram = config.notify.telegram is not None and bool(recipients(config))
    if not on_telegram and not mail_readers(config):
        print(
            "error: nobody to send it to: --send needs digest.recipients with a telegram_id (and notify.telegram) "
            "or an email (and notify.email) in oncall.people",
            file=sys.stderr,
        )
        return 2
    try:
        sent = await send_weekly_digest(redis, config, week)
    except DigestFailure as failure:
        print(f"error: {redact_text(failure.message)}", file=sys.stderr)
        return 1
    await mark_sent(redis, week, time.time(), by="by warner digest --send")  # Monday's scheduler leaves it be
    names = {p.telegram_id: p.id for p in config.oncall.people if p.telegram_id is not None}
    bounced = [m for m in sent.mails if not m.ok]
    total = len(sent.deliveries) + len(sent.mails)
    reached = total - len(sent.failed) - len(bounced)
    saved = ", ".join(str(p) for p in sent.saved.values())
    by_mail = f" ({len(sent.mails) - len(bounced)} by mail)" if sent.mails else ""
    print(f"sent the digest of {week} to {reached} of {total} recipients{by_mail}; saved {saved}")
    for d in sent.failed:
        who = f"{names.get(d.chat_id, '?')} ({d.chat_id})"
        print(f"error: not delivered to {who}: {redact_text(d.error or '')} — {recipient_hint(d)}", file=sys.stderr)
    for m in bounced:
        hint = "check their email in oncall.people" if m.permanent else "try again later"
        print(f"error: no mail to {m.person} ({m.address}): {redact_text(m.error or '')} — {hint}", file=sys.stderr)
    return 1 if sent.failed or bounced else 0


def _print(args: argparse.Namespace, config: Config, week: str, digest: Digest) -> int:
    from warner.digest.preview import telegram_preview
    from warner.digest.report import render_html, render_markdown

    if args.format == "telegram":
        print(telegram_preview(config, digest.figures, digest.chart_png, args.lang))
        return 0
    if args.format == "email":
        return _write_mail(args, config, week, digest)
    if args.format in (None, "md"):
        text = render_markdown(digest.figures, args.lang)
        if args.out:
            args.out.write_text(text, encoding="utf-8")
            print(f"wrote {args.out}")
        else:
            print(text)
        return 0
    out = args.out or config.digest.directory(config.redis.data_dir) / f"digest-{week}.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_html(digest.figures, args.lang, chart_png=digest.chart_png), encoding="utf-8")
    out.with_suffix(".png").write_bytes(digest.chart_png)
    print(f"wrote {out} and {out.with_suffix('.png')}")
    return 0


def _write_mail(args: argparse.Namespace, config: Config, week: str, digest: Digest) -> int:
    """The digest mail as an .eml file (what a recipient in ``--lang`` would get), nothing sent."""
    from warner.digest.mail import MailReader, digest_mail
    from warner.notify.email.config import EmailConfig
    from warner.notify.email.smtp import flatten

    email = config.notify.email or EmailConfig(host="localhost", from_address="warner@localhost")
    reader = MailReader("preview", "Preview", "preview@localhost", args.lang)
    labels = {b.name: b.label for b in config.brands}
    out = args.out or config.digest.directory(config.redis.data_dir) / f"digest-{week}.eml"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(flatten(digest_mail(digest.figures, digest.chart_png, reader, email, labels)))
    print(f"wrote {out} (open it in a mail client; not sent)")
    return 0
