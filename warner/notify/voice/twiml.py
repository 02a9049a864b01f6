"""The TwiML of a call and of the answers to its key presses.

The whole page sits inside ``<Gather>``, so a person who knows what is coming can press 1 while
the text is still being read; the prompt is said twice, then a goodbye. The ``action`` URL
carries the person's ack code: Twilio signs that URL with the query string, so a key press
cannot be replayed with another code. Every text and attribute is XML-escaped (a brand label
is config, a state line may quote a person's name).
"""

from __future__ import annotations

from urllib.parse import urlencode
from xml.sax.saxutils import escape, quoteattr

from warner.core import Language
from warner.notify.voice.texts import TTS_LANGUAGE, words

_HEAD = '<?xml version="1.0" encoding="UTF-8"?>'
GATHER_SECONDS = 5  # after the last word, how long Twilio waits for a key


def gather_action(gather_url: str, code: str) -> str:
    """The URL Twilio POSTs the pressed key to, with the code it acknowledges."""
    return f"{gather_url}?{urlencode({'code': code})}"


def say(text: str, language: Language) -> str:
    return f"<Say language={quoteattr(TTS_LANGUAGE[language])}>{escape(text)}</Say>"


def _gather(action: str, inner: str) -> str:
    attrs = f'numDigits="1" timeout="{GATHER_SECONDS}" method="POST" action={quoteattr(action)}'
    return f"<Gather {attrs}>{inner}</Gather>"


def call_twiml(text: str, language: Language, action: str) -> str:
    """The page, the prompt twice, then goodbye and hang up."""
    prompt = say(words(language)["prompt"], language)
    gather = _gather(action, say(text, language) + prompt + '<Pause length="1"/>' + prompt)
    return f"{_HEAD}<Response>{gather}{say(words(language)['goodbye'], language)}<Hangup/></Response>"


def prompt_again_twiml(language: Language, action: str) -> str:
    """Another key than 1, or none: the prompt once more."""
    gather = _gather(action, say(words(language)["prompt"], language))
    return f"{_HEAD}<Response>{gather}{say(words(language)['goodbye'], language)}<Hangup/></Response>"


def spoken_twiml(text: str, language: Language) -> str:
    """Say one thing and hang up ("Übernommen. Danke.")."""
    return f"{_HEAD}<Response>{say(text, language)}<Hangup/></Response>"
