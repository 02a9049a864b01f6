"""Pages to team chats for the Teams and Slack tests: one incident with its top posts, a team recipient."""

from __future__ import annotations

from warner.core import Language, Recipient
from warner.incidents.model import Incident, TopMention
from warner.notify.base import Page, PageKind

STARTED = 1_795_287_000  # Saturday 2026-11-21 19:50 Europe/Berlin
LABELS = {"kesselberg": "Brauerei Kesselberg"}
CONSOLE = "https://warner.example.de"
HOSTILE = "<!channel> **Boykott!** [hier klicken](https://evil.example) & weitersagen"


def incident() -> Incident:
    return Incident(
        brand="kesselberg", number=12, status="open", severity="critical", started_at=STARTED,
        updated_at=STARTED + 600, mentions=1382, expected=4.2, negatives=967,
        top=[
            TopMention("m1", HOSTILE, STARTED + 60, 48_000, author="@wutbuerger", url="https://social.example/@w/1"),
            TopMention("m2", "Das Bier schmeckt seit Wochen nach Pappe", STARTED + 90, 12_500, author="Lea",
                       url="javascript:alert(1)"),
            TopMention("m3", "Nie wieder Kesselberg", STARTED + 120, 900),
            TopMention("m4", "Vierter Beitrag", STARTED + 150, 10),
        ],
    )  # fmt: skip


def team_page(
    kind: PageKind = "new", *, team: str | None = "ops", language: Language = "de", state_line: str | None = None
) -> Page:
    recipient = Recipient(f"team:{team}", "Ops", language, team=team)
    return Page(incident(), recipient, kind, ack_code="482193", state_line=state_line)
