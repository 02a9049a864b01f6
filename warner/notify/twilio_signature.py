"""Twilio's request signature, shared by every webhook Twilio calls (SMS replies, key presses in calls).

Twilio signs each webhook request with the account's auth token: base64(HMAC-SHA1(token, the
URL exactly as Twilio requested it, query string included, followed by every POST parameter's
name and value, sorted by name)). One function, so the SMS and the voice routes cannot drift.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping

from multidict import MultiMapping


def twilio_signature(auth_token: str, url: str, params: Mapping[str, str] | MultiMapping[str]) -> str:
    """Twilio's request signature: base64(HMAC-SHA1(token, url + sorted name+value pairs))."""
    payload = url
    for name in sorted(set(params.keys())):
        values = params.getall(name) if isinstance(params, MultiMapping) else [params[name]]
        for value in sorted(values):
            payload += name + value
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()
