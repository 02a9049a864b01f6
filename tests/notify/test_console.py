"""The console channel shows every page that would go out, to anyone."""

from __future__ import annotations

import io

from rich.console import Console

from warner.core import Recipient
from warner.incidents.model import Incident
from warner.notify.base import Page
from warner.notify.console import ConsoleChannel


def page(**kw: object) -> Page:
    incident = Incident(
        brand="kesselberg", number=12, status="open", severity="critical",
        started_at=1795287000, updated_at=1795287000, mentions=54, expected=2.0, negatives=38, reach=12000,
    )  # fmt: skip
    return Page(incident=incident, recipient=Recipient("anna", "Anna [Chefin]"), kind="new", ack_code="4821", **kw)  # type: ignore[arg-type]


async def test_a_page_is_one_line_with_kind_recipient_and_figures() -> None:
    out = io.StringIO()
    channel = ConsoleChannel(
        Console(file=out, width=200, color_system=None), labels={"kesselberg": "Brauerei Kesselberg"}
    )
    assert channel.can_reach(Recipient("nobody", "Nobody"))
    delivery = await channel.send(page(state_line="Übernommen von Anna, 21:04"))
    await channel.close()
    assert delivery.ok and delivery.channel == "console" and delivery.target == "anna"
    assert delivery.message_ref == "console-1"
    assert out.getvalue() == (
        "[page new → Anna [Chefin] (anna)] CRITICAL kesselberg:12 Brauerei Kesselberg: 54 mentions, 27.0x normal, "
        "70% negative, reach 12000 · ack 4821 · Übernommen von Anna, 21:04\n"
    )
