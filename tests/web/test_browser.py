"""The console in a real browser (Debian's chromium, driven by Playwright) against a real ``warner run``.

One responder's Saturday night, step by step, with a screenshot of each step in ``out/web/``:
sign in with the link the bot sends for /login, watch the storm arrive on the open incidents
list (no reload), open it, acknowledge it (the Telegram alert is edited), pick a draft, write
past 280 characters and see the X counter turn red, mark it posted, and find all of it in the
timeline. Then the basics of accessibility on each page (labels, names, contrast, keyboard)
and a phone-sized viewport (390 px) without sideways scrolling.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from running import post_angry_posts, warner_run
from support import TELEGRAM_TOKEN

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
playwright_api = pytest.importorskip("playwright.async_api")
pytestmark = [
    pytest.mark.timeout(180),
    pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (.ci/run installs it)"),
]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "out" / "web"
ANNA = 2001
TOKEN = "browser-test-token"
CONFIG = """
brands:
  - {{name: kesselberg, display_name: "Brauerei Kesselberg", aliases: ["Kesselberg"]}}
bucket: 10s
detect: {{lateness: 5s, confirm_mood_for: 0s}}
ingest:
  port: 0
  sources: [{{name: listening, token_env: BROWSER_TOKEN}}]
oncall:
  people:
    - {{id: anna, name: Anna, telegram_id: {anna}}}
notify:
  telegram: {{token_env: TEST_TELEGRAM_TOKEN, base_url: "{telegram}"}}
escalation:
  group_wait: {{critical: 0s, warning: 0s}}
  policies: [{{id: storm, steps: [{{notify_persons: [anna], channels: [telegram]}}]}}]
  routes: [{{severity: [warning, critical], when: any, policy: storm}}]
web: {{port: 0}}
"""
ANGRY = [
    "Kesselberg Bier schmeckt nach Spülmittel, ich will mein Geld zurück!",
    "Splitter in der Flasche von Kesselberg, das ist gefährlich, Rückruf sofort!",
    "Kesselberg ignoriert jede Beschwerde, unverschämt und dreist",
    "Nie wieder Kesselberg, totaler Betrug an den Kunden",
]

# WCAG 2.x contrast of each visible text element against the first opaque background behind it.
CONTRAST_JS = """
() => {
  const lum = (c) => { const v = c / 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  const rgb = (s) => (s.match(/[\\d.]+/g) || []).map(Number);
  const L = ([r, g, b]) => 0.2126 * lum(r) + 0.7152 * lum(g) + 0.0722 * lum(b);
  const bg = (el) => { for (let e = el; e; e = e.parentElement) { const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length >= 3 && (c.length < 4 || c[3] > 0.9)) return c; } return [255, 255, 255]; };
  const bad = [];
  for (const el of document.querySelectorAll('body *')) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || !el.offsetParent) continue;
    const fg = rgb(getComputedStyle(el).color), b = bg(el);
    const [hi, lo] = [L(fg), L(b)].sort((x, y) => y - x);
    const ratio = (hi + 0.05) / (lo + 0.05);
    const what = el.textContent.trim().slice(0, 30);
    if (ratio < 4.5) bad.push(`${el.tagName}.${el.className}: ${ratio.toFixed(2)} "${what}"`);
  }
  return bad;
}
"""
# Every form control has an accessible name; every button and link says what it does.
LABELS_JS = """
() => {
  const bad = [];
  for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
    const named = (el.labels && el.labels.length) || el.getAttribute('aria-label')
      || el.getAttribute('aria-labelledby');
    if (!named) bad.push(`${el.tagName}#${el.id || el.name}`);
  }
  for (const el of document.querySelectorAll('button, a[href]')) {
    if (!el.getClientRects().length) continue;  // not shown (e.g. the no-JS link beside a JS button)
    const name = (el.textContent || el.getAttribute('aria-label') || el.title || '').trim();
    if (!name && !el.querySelector('img[alt]')) bad.push(`${el.tagName} ${el.outerHTML.slice(0, 60)}`);
  }
  return bad;
}
"""


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    async with playwright_api.async_playwright() as p:
        chromium = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield chromium
        finally:
            await chromium.close()


async def shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


async def check_accessibility(page: Any, where: str) -> None:
    assert await page.evaluate(LABELS_JS) == [], f"{where}: controls without a name"
    assert await page.evaluate(CONTRAST_JS) == [], f"{where}: text below 4.5:1 contrast"


async def login_link(telegram: Any) -> str:
    """What the bot answers to /login in a private chat: a message with the single-use link."""
    await telegram.command(telegram.user(ANNA, "Anna"), "/login")
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        for call in telegram.calls_of("sendMessage"):
            match = re.search(r"https?://\S+/login\?token=[\w-]+", str(call.get("text", "")))
            if int(call["chat_id"]) == ANNA and match:
                return match.group(0)
        await asyncio.sleep(0.2)
    raise AssertionError("the bot sent no sign-in link for /login")


async def storm_until_listed(page: Any, url: str) -> str:
    """Angry posts every second until the open list shows the incident (without a reload)."""
    async with aiohttp.ClientSession() as http:
        n, started = 0, time.monotonic()
        while await page.locator("#incidents tr[data-incident]").count() == 0:
            assert time.monotonic() - started < 90, "the storm never reached the open incidents list"
            n = await post_angry_posts(http, url, TOKEN, ANGRY, n)
            await asyncio.sleep(1)
    return str(await page.locator("#incidents tr[data-incident]").first.get_attribute("data-incident"))


async def test_a_responder_s_saturday_night_in_the_console(tmp_path: Path, telegram: Any, browser: Any) -> None:
    config = CONFIG.format(anna=ANNA, telegram=telegram.base_url)
    env = {"BROWSER_TOKEN": TOKEN, "TEST_TELEGRAM_TOKEN": TELEGRAM_TOKEN}
    with warner_run(config, tmp_path, env) as run:
        await asyncio.to_thread(run.wait_event, "telegram_poller_elected")
        link = await login_link(telegram)
        page = await browser.new_page(viewport={"width": 1280, "height": 900}, locale="de-DE")

        await page.goto(link)
        assert page.url.endswith("/incidents")
        await shot(page, "01-signed-in-empty-list")
        await check_accessibility(page, "incidents list")

        incident_id = await storm_until_listed(page, run.url)
        await shot(page, "02-storm-arrived-live")

        await page.locator(f'#incidents tr[data-incident="{incident_id}"] a').first.click()
        await page.wait_for_selector("#incident-title")
        assert await page.locator("svg[role=img]").count() >= 1, "the storm's curve is missing"
        await shot(page, "03-incident")
        await check_accessibility(page, "incident page")

        alert = next(m for (chat, _), m in telegram.messages.items() if chat == ANNA and m.get("reply_markup"))
        await page.locator("#act-ack").click()
        await page.wait_for_load_state()
        await telegram.wait_for("editMessageText", timeout=10)
        assert "Übernommen von Anna" in telegram.messages[(ANNA, alert["message_id"])]["text"]
        await shot(page, "04-acknowledged")

        await page.locator("#drafts-link").click()
        await page.wait_for_selector("#draft-text")
        await page.locator(".use-draft").first.click()
        draft = await page.locator("#draft-text").input_value()
        assert draft.strip(), "choosing a draft left the editor empty"
        await page.locator("#draft-text").fill("Danke für Ihre Geduld, wir melden uns heute noch.")
        assert "over" not in (await page.locator("#count-x").get_attribute("class") or "")
        await page.locator("#draft-text").fill("Wir melden uns mit allen Details. " * 10)
        assert "over" in (await page.locator("#count-x").get_attribute("class") or ""), "X counter not red past 280"
        await shot(page, "05-draft-too-long-for-x")
        await check_accessibility(page, "replies page")

        await page.locator("#draft-text").fill(draft)
        form = page.locator("#mark-posted")
        await form.locator("select").first.select_option(index=1)
        await form.locator("button[type=submit]").click()
        await page.wait_for_load_state()
        await shot(page, "06-marked-posted")

        await page.goto(f"{page.url.split('/incidents')[0]}/incidents/{incident_id}")
        timeline = await page.locator("#timeline").inner_text()
        assert "Anna" in timeline and "über die Konsole" in timeline  # via web, in the person's German
        assert "Übernommen" in timeline and "Antwortentwurf gewählt" in timeline and "Antwort gepostet" in timeline
        await shot(page, "07-timeline")

        phone = await browser.new_page(viewport={"width": 390, "height": 844}, locale="de-DE")
        await phone.context.add_cookies(await page.context.cookies())
        for path in ("/incidents", f"/incidents/{incident_id}", f"/incidents/{incident_id}/replies", "/oncall"):
            await phone.goto(f"{page.url.split('/incidents')[0]}{path}")
            width = await phone.evaluate("document.scrollingElement.scrollWidth")
            assert width <= 390, f"{path} scrolls sideways on a phone ({width} px)"
        await shot(phone, "08-phone-oncall")

        await page.goto(f"{page.url.split('/incidents')[0]}/incidents/{incident_id}")
        for _ in range(40):  # the actions are reachable by keyboard alone
            await page.keyboard.press("Tab")
            if await page.evaluate("document.activeElement && document.activeElement.id") == "act-resolve":
                break
        else:
            raise AssertionError("the resolve button cannot be reached with Tab")
