"""The weekly digest by mail: the HTML report with the chart inline, a plain-text part, in each reader's language.

Team leads read the digest in their mail. A mail client shows no ``data:`` image (the saved
report's way of embedding the chart), so the chart travels as a part of the mail and the
HTML refers to it by ``cid:`` (RFC 2392)::

    multipart/alternative
    ├── text/plain            the Markdown report (reads as text)
    └── multipart/related
        ├── text/html         the report's template, <img src="cid:…">
        └── image/png         the chart, Content-ID <…>

Every ``digest.recipients`` person with an ``email`` gets it when ``notify.email`` is
configured, in addition to Telegram. ``send_digest_mails`` never raises for a mail that did
not go out: it reports per person (``MailDelivery``), like ``telegram.send_digest``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from functools import cache

import structlog
from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from warner.core import Language
from warner.digest.config import DigestSettings
from warner.digest.model import WeekFigures
from warner.digest.report import TEMPLATES, render_markdown, view
from warner.notify.email.config import EmailConfig
from warner.notify.email.message import CTE, MAIL_POLICY
from warner.notify.email.smtp import SmtpSender
from warner.notify.secrets import MissingSecretError

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class MailReader:
    """A digest recipient reached by mail."""

    person: str  # oncall.people id
    name: str
    address: str
    language: Language


@dataclass(frozen=True, slots=True)
class MailDelivery:
    """Whether the digest mail reached one person's server, and if not, why."""

    person: str
    address: str
    ok: bool
    error: str | None = None
    permanent: bool = False


def mail_readers(config: DigestSettings) -> list[MailReader]:
    """Every digest recipient with an ``email``, when ``notify.email`` is configured (else nobody)."""
    if config.notify.email is None:
        return []
    people = {p.id: p for p in config.oncall.people}
    return [
        MailReader(p.id, p.name, p.email, p.language)
        for r in config.digest.recipients
        if (p := people.get(r)) is not None and p.email
    ]


def digest_mail(
    figures: WeekFigures,
    chart_png: bytes | None,
    reader: MailReader,
    email: EmailConfig,
    brand_labels: Mapping[str, str] | None = None,
) -> EmailMessage:
    """The digest of ``figures`` as one mail to ``reader``, in their language."""
    v = view(figures, reader.language, brand_labels)
    cid = make_msgid("chart", domain=email.domain)  # "<…@domain>"; the HTML names it without brackets
    message = EmailMessage(policy=MAIL_POLICY)
    message["Subject"] = f"[warner] {v['title']}"
    message["From"] = Address(email.from_name, addr_spec=email.from_address)
    message["To"] = Address(reader.name, addr_spec=reader.address)
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid("digest", domain=email.domain)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(render_markdown(figures, reader.language, brand_labels), cte=CTE)
    chart = f"cid:{cid[1:-1]}" if chart_png is not None else None
    html = _environment().get_template("digest.html.j2").render(v, chart=chart)
    message.add_alternative(html, subtype="html", cte=CTE)
    if chart_png is not None:
        html_part = next(p for p in message.iter_parts() if p.get_content_type() == "text/html")
        html_part.add_related(
            chart_png, "image", "png", cid=cid, filename=f"digest-{figures.week}.png", disposition="inline"
        )
    message["Content-Language"] = reader.language
    return message


async def send_digest_mails(
    config: DigestSettings, readers: list[MailReader], figures: WeekFigures, chart_png: bytes | None
) -> list[MailDelivery]:
    """Send the digest to each reader; one result per reader, none raised for a refusal or a server down."""
    email = config.notify.email
    if email is None or not readers:
        return []
    try:
        sender = SmtpSender(email)
    except MissingSecretError as exc:
        return [MailDelivery(r.person, r.address, False, str(exc), permanent=True) for r in readers]
    labels = {b.name: b.label for b in config.brands}
    results = []
    for reader in readers:
        outcome = await sender.send(digest_mail(figures, chart_png, reader, email, labels), [reader.address])
        result = MailDelivery(reader.person, reader.address, outcome.ok, outcome.error, outcome.permanent)
        if outcome.ok:
            log.info("digest_mailed", week=figures.week, person=reader.person, language=reader.language)
        else:
            log.warning(
                "digest_mail_failed", week=figures.week, person=reader.person, error=outcome.error,
                permanent=outcome.permanent,
            )  # fmt: skip
        results.append(result)
    return results


@cache
def _environment() -> SandboxedEnvironment:
    """The report's own template, sandboxed and autoescaped as ``report.render_html`` renders it."""
    from warner.digest.report import markdown_escape
    from warner.digest.texts import shorten_term

    env = SandboxedEnvironment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update({"md": markdown_escape, "term": shorten_term})
    return env
