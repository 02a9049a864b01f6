"""SMS: config, the GSM-7 text of a page, the HTTP-gateway and Twilio channels, and replies to pages.

Replies ("OK 482193") are ``inbound.py``'s webhooks, checked against ``ack_codes.py`` and
``lockout.py``; they are imported where the pager mounts them, never from here.
"""

from __future__ import annotations

import importlib
from typing import Any

# Loaded on first use: ``warner.config`` imports the config models from here, and must
# not pull in the channels (aiohttp sessions, python-telegram-bot) or import itself back.
_EXPORTS = {
    "HttpSmsChannel": "warner.notify.sms.channels",
    "TwilioSmsChannel": "warner.notify.sms.channels",
    "sms_channel": "warner.notify.sms.channels",
    "HttpGatewayConfig": "warner.notify.sms.config",
    "MissingSecretError": "warner.notify.sms.config",
    "SmsConfig": "warner.notify.sms.config",
    "SmsInboundConfig": "warner.notify.sms.config",
    "TwilioConfig": "warner.notify.sms.config",
    "SMS_LIMIT": "warner.notify.sms.text",
    "gsm7_length": "warner.notify.sms.text",
    "sms_text": "warner.notify.sms.text",
    "to_gsm7": "warner.notify.sms.text",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
