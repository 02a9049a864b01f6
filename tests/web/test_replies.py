"""The replies page: ranked drafts with reasons, the editor and its counts, mark as posted into the timeline."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestClient, TestServer

from warner.config.loading import parse_config
from warner.core import ManualClock
from warner.incidents.model import Incident, TopMention
from warner.incidents.store import IncidentStore
from warner.web import lengths
from warner.web.app import WebContext, create_web_app
from warner.web.serve import build_context

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY_MORNING = datetime(2026, 11, 23, 10, 0, tzinfo=BERLIN)  # business hours, the incident two hours old
CONFIG = """
brands:
  - name: kesselberg
    display_name: Brauerei Kesselberg
oncall:
  people:
    - {id: anna, name: Anna}
    - {id: ben, name: Ben, language: en}
"""
DEFECT = [  # a product-defect storm (playbooks/product_defect.yaml)
    "In meinem Bier war ein Glassplitter, mein Kind hat fast draufgebissen!!",
    "Gibt es schon einen Rückruf? Bei uns ist die gleiche Charge im Kühlschrank",
    "Scherben in der Flasche, die Charge ist gefährlich",
    "Hab mich an der Flasche geschnitten, der Rand ist total scharfkantig. Gefährlich!",
    "Wann warnt die Brauerei endlich offiziell vor dem Produkt? Es steht immer noch im Regal",
]
PAGE = "/incidents/kesselberg:7/replies"
POSTED = "/incidents/kesselberg:7/replies/posted"


# --- a small HTML reader: the page's elements by id and class ---------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    children: list[Element | str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text for c in self.children)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def walk(self) -> list[Element]:
        out = [self]
        for c in self.children:
            if isinstance(c, Element):
                out += c.walk()
        return out

    def all(self, tag: str | None = None, cls: str | None = None) -> list[Element]:
        return [e for e in self.walk()[1:] if (tag is None or e.tag == tag) and (cls is None or cls in e.classes)]

    def by_id(self, element_id: str) -> Element:
        found = [e for e in self.walk() if e.attrs.get("id") == element_id]
        assert len(found) == 1, f"{len(found)} elements with id {element_id!r}"
        return found[0]


class Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v if v is not None else "" for k, v in attrs})
        self.stack[-1].children.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def html(body: str) -> Element:
    reader = Reader()
    reader.feed(body)
    return reader.root


# --- the console ------------------------------------------------------------------------------------------


@dataclass
class Console:
    client: TestClient[Any, Any]
    ctx: WebContext
    clock: ManualClock

    async def sign_in(self, person: str = "anna") -> None:
        token = await self.ctx.sessions.issue_link_token(person)
        response = await self.client.get(f"/login?token={token}", allow_redirects=False)
        assert response.status == 303

    async def page(self, path: str = PAGE, status: int = 200) -> Element:
        response = await self.client.get(path)
        assert response.status == status, await response.text()
        return html(await response.text())

    async def csrf(self) -> str:
        page = await self.page()
        return next(e.attrs["value"] for e in page.all("input") if e.attrs.get("name") == "csrf")

    async def timeline(self) -> list[dict[str, Any]]:
        return await self.ctx.incidents.timeline("kesselberg", 7)


@pytest.fixture
async def console(redis: Any) -> AsyncIterator[Console]:
    clock = ManualClock(MONDAY_MORNING.timestamp())
    started = int(MONDAY_MORNING.timestamp()) - 2 * 3600
    incident = Incident(
        brand="kesselberg",
        number=7,
        status="open",
        severity="critical",
        started_at=started,
        updated_at=started + 600,
        mentions=412,
        expected=18.5,
        negatives=297,
        top=[TopMention(key=f"m{n}", text=t, created_at=started + n, reach=100 - n) for n, t in enumerate(DEFECT)],
    )
    pipe = redis.pipeline(transaction=True)
    IncidentStore.queue_writes(pipe, incident, [])
    await pipe.execute()
    await IncidentStore(redis).index(incident)
    ctx = build_context(parse_config(CONFIG, "test.yaml"), redis, clock=clock)
    async with TestClient(TestServer(create_web_app(ctx), host="127.0.0.1")) as client:
        yield Console(client, ctx, clock)


def drafts_of(page: Element) -> list[Element]:
    return page.all("article", cls="draft")


def editor_text(page: Element) -> str:
    return page.by_id("draft-text").text


# --- the drafts -------------------------------------------------------------------------------------------


async def test_the_page_lists_three_ranked_drafts_with_the_reason_each_was_chosen(console: Console) -> None:
    await console.sign_in()
    page = await console.page()
    cards = drafts_of(page)
    assert len(cards) == 3
    # an incident two hours old in business hours: the best playbook's public reply, then its invitation to DM
    assert [c.attrs["data-draft"] for c in cards[:2]] == ["product_defect.public_reply", "product_defect.private"]
    for card in cards:
        reason = card.all("p", cls="reason")[0].text
        assert "Treffer:" in reason or "ähnlich zu" in reason, reason
        assert card.all("p", cls="draft-body")[0].text.strip()
        assert card.all("button", cls="use-draft"), "a button for the script"
        link = card.all("a", cls="use-draft-link")[0]
        assert link.attrs["href"] == f"?draft={card.attrs['data-draft']}#editor"
    assert "Brauerei Kesselberg" in cards[0].all("p", cls="draft-body")[0].text
    assert editor_text(page) == ""
    assert page.by_id("count-x").text == "0 / 280"


async def test_a_chosen_draft_fills_the_editor_its_checklist_and_the_counts(console: Console) -> None:
    await console.sign_in()
    first = drafts_of(await console.page())[0]
    key = first.attrs["data-draft"]
    page = await console.page(f"{PAGE}?draft={key}")
    text = first.all("p", cls="draft-body")[0].text
    assert editor_text(page) == text
    counted = lengths.counts(text)
    assert page.by_id("count-x").text == f"{counted['x'].used} / 280"
    assert page.by_id("count-bluesky").text == f"{counted['bluesky'].used} / 300"
    assert page.by_id("count-mastodon").text == f"{counted['mastodon'].used} / 500"
    assert page.by_id("count-sms").text.startswith(f"{counted['sms'].used} / ")
    assert page.by_id("posted-draft").attrs["value"] == key
    assert page.by_id("posted-text").attrs["value"] == text
    items = page.by_id("checklist").all("li")
    assert items, "the draft's checklist"
    for n, item in enumerate(items):
        box = item.all("input")[0]
        assert box.attrs["type"] == "checkbox"
        assert item.all("label")[0].attrs["for"] == box.attrs["id"] == f"check-{n}"
    assert [i.text for i in items] == [li.text for li in first.all("ul", cls="card-checklist")[0].all("li")]
    assert "hidden" in page.by_id("checklist-empty").attrs


async def test_a_draft_no_longer_ranked_can_still_be_opened_by_its_key(console: Console) -> None:
    await console.sign_in()
    page = await console.page(f"{PAGE}?draft=product_defect.update")
    assert editor_text(page).strip()
    assert page.by_id("posted-draft").attrs["value"] == "product_defect.update"
    unknown = await console.page(f"{PAGE}?draft=no_such_playbook.holding")
    assert editor_text(unknown) == ""
    assert unknown.by_id("posted-draft").attrs["value"] == ""


async def test_the_page_is_in_the_persons_language(console: Console) -> None:
    await console.sign_in("ben")
    page = await console.page()
    assert page.all("html")[0].attrs["lang"] == "en"
    card = drafts_of(page)[0]
    assert card.all("a", cls="use-draft-link")[0].text == "Use this draft"
    assert card.all("p", cls="reason")[0].text.startswith("Why:")
    assert page.by_id("mark-posted").all("button")[0].text == "Mark as posted"


async def test_the_page_needs_a_session_and_an_incident_that_exists(console: Console) -> None:
    response = await console.client.get(PAGE, allow_redirects=False, headers={"Accept": "text/html"})
    assert response.status == 303
    assert response.headers["Location"] == "/login"
    await console.sign_in()
    await console.page("/incidents/kesselberg:99/replies", status=404)
    await console.page("/incidents/nonsense/replies", status=404)


async def test_scripts_and_styles_come_from_static_files_only(console: Console) -> None:
    """The CSP allows no inline script or style attribute: the page uses neither."""
    await console.sign_in()
    page = await console.page()
    scripts = page.all("script")
    assert [s.attrs.get("src") for s in scripts] == ["/static/editor.js"]
    assert all(not s.text.strip() for s in scripts)
    assert not [e for e in page.walk() if "style" in e.attrs]
    script = await console.client.get("/static/editor.js")
    assert script.status == 200
    cases = await console.client.get("/static/length-cases.json")
    assert cases.status == 200


async def test_every_control_has_a_label(console: Console) -> None:
    await console.sign_in()
    page = await console.page(f"{PAGE}?draft=product_defect.public_reply")
    labelled = {e.attrs["for"] for e in page.all("label")}
    for element in page.all("textarea") + page.all("select") + page.all("output") + page.all("input"):
        if element.attrs.get("type") == "hidden":
            continue
        assert element.attrs["id"] in labelled, element.attrs


# --- the counts -------------------------------------------------------------------------------------------


async def refused_with_text(console: Console, text: str) -> Element:
    """Submitting without a platform is refused, and the page comes back with the text counted."""
    response = await console.client.post(POSTED, data={"csrf": await console.csrf(), "text": text, "platform": ""})
    assert response.status == 400
    page = html(await response.text())
    assert page.by_id("replies-error").text
    assert editor_text(page) == text
    return page


async def test_the_x_count_of_a_300_character_text_is_over(console: Console) -> None:
    await console.sign_in()
    text = "Wir prüfen das. " * 18 + "Danke Ihnen!"
    assert len(text) == 300
    page = await refused_with_text(console, text)
    x = page.by_id("count-x")
    assert x.text == "300 / 280"
    assert "over" in x.classes
    assert page.by_id("count-bluesky").text == "300 / 300"
    assert "over" not in page.by_id("count-bluesky").classes
    assert page.by_id("count-mastodon").text == "300 / 500"
    assert page.by_id("count-sms").text == "300 / 160 · 2 SMS"
    assert "over" in page.by_id("count-sms").classes


async def test_links_count_23_on_x_whatever_their_length(console: Console) -> None:
    await console.sign_in()
    text = (
        "Infos: https://kesselberg.de/rueckruf/charge-2026-11-21-ab-sofort-alle-flaschen?utm_source=x "
        "und https://example.com/"
    )
    page = await refused_with_text(console, text)
    assert page.by_id("count-x").text == "58 / 280"
    assert "over" not in page.by_id("count-x").classes
    assert page.by_id("count-mastodon").text == "58 / 500"
    assert page.by_id("count-bluesky").text == "117 / 300"
    assert page.by_id("count-sms").text == "117 / 160 · 1 SMS"


# --- mark as posted ---------------------------------------------------------------------------------------


async def test_mark_as_posted_writes_who_when_where_and_which_draft_into_the_timeline(console: Console) -> None:
    await console.sign_in()
    csrf = await console.csrf()
    response = await console.client.post(
        POSTED,
        data={
            "csrf": csrf,
            "text": "Wir prüfen die Charge und melden uns bis 14 Uhr.",
            "platform": "x",
            "url": "https://x.com/kesselberg_bier/status/1",
            "draft": "product_defect.public_reply",
            "variant": "text",
        },
        allow_redirects=False,
    )
    assert response.status == 303
    assert response.headers["Location"] == "/incidents/kesselberg:7/replies?posted=x#posted"
    chosen, posted = await console.timeline()
    assert chosen == {
        "kind": "draft",
        "at": MONDAY_MORNING.timestamp(),
        "by": "anna",
        "via": "web",
        "playbook": "product_defect",
        "purpose": "public_reply",
        "draft": "product_defect.public_reply",
        "variant": "text",
    }
    assert posted == {
        "kind": "reply_posted",
        "at": MONDAY_MORNING.timestamp(),
        "by": "anna",
        "via": "web",
        "platform": "x",
        "text": "Wir prüfen die Charge und melden uns bis 14 Uhr.",
        "url": "https://x.com/kesselberg_bier/status/1",
        "draft": "product_defect.public_reply",
    }
    page = await console.page(response.headers["Location"])
    assert page.by_id("posted").text == "Als gepostet auf X festgehalten; es steht im Verlauf des Vorfalls."
    before = page.all("ul", cls="posted-before")[0]
    assert "X, 23.11. 10:00, von Anna" in before.text
    assert "Wir prüfen die Charge" in before.text


async def test_text_typed_without_a_draft_is_recorded_without_one(console: Console) -> None:
    await console.sign_in()
    response = await console.client.post(
        POSTED,
        data={"csrf": await console.csrf(), "editor_text": "Eigener Text", "text": "", "platform": "website"},
        allow_redirects=False,
    )
    assert response.status == 303
    (posted,) = await console.timeline()
    assert (posted["kind"], posted["platform"], posted["text"], posted["url"], posted["draft"]) == (
        "reply_posted",
        "website",
        "Eigener Text",
        None,
        None,
    )


async def test_mark_as_posted_needs_the_csrf_token(console: Console) -> None:
    await console.sign_in()
    form = {"text": "Wir prüfen das.", "platform": "x"}
    assert (await console.client.post(POSTED, data=form)).status == 403
    assert (await console.client.post(POSTED, data={**form, "csrf": "not-the-token"})).status == 403
    assert await console.timeline() == []


@pytest.mark.parametrize("url", ["javascript:alert(1)", "x.com/status/1", "https://x.com/a b"])
async def test_a_link_to_the_post_must_be_a_web_address(console: Console, url: str) -> None:
    await console.sign_in()
    response = await console.client.post(
        POSTED, data={"csrf": await console.csrf(), "text": "Wir prüfen das.", "platform": "x", "url": url}
    )
    assert response.status == 400
    page = html(await response.text())
    assert "https://" in page.by_id("replies-error").text
    assert editor_text(page) == "Wir prüfen das."
    assert await console.timeline() == []


async def test_an_unknown_platform_is_refused(console: Console) -> None:
    await console.sign_in()
    response = await console.client.post(
        POSTED, data={"csrf": await console.csrf(), "text": "Wir prüfen das.", "platform": "myspace"}
    )
    assert response.status == 400
    assert await console.timeline() == []
