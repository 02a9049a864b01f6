"""Telegram: alerts with buttons (the channel) and the bot that receives presses and commands.

Use from the rest of warner::

    secrets = config.telegram.secrets()
    application = build_application(config.telegram, secrets.token, actions, backend,
                                    callback_key=secrets.callback_key)
    channel = TelegramChannel(application.bot, CallbackSigner(secrets.callback_key, config.telegram.stale_after))
    await start_polling(application)          # or start_webhook + add_webhook_route
    ...
    await stop(application)
"""

from __future__ import annotations

import importlib
from typing import Any

import os

# python-telegram-bot 22 warns inside its own RetryAfter unless told to use timedeltas; with
# warnings as errors that turned a 429 into a crash. Our code accepts both value types.
os.environ.setdefault("PTB_TIMEDELTA", "true")

# Loaded on first use: ``warner.config`` imports the config models from here, and must
# not pull in the channels (aiohttp sessions, python-telegram-bot) or import itself back.
_EXPORTS = {
    "TelegramBackend": "warner.notify.telegram.bot",
    "build_application": "warner.notify.telegram.bot",
    "start_polling": "warner.notify.telegram.bot",
    "start_webhook": "warner.notify.telegram.bot",
    "stop": "warner.notify.telegram.bot",
    "TelegramChannel": "warner.notify.telegram.channel",
    "TelegramConfig": "warner.notify.telegram.config",
    "TelegramSecretError": "warner.notify.telegram.config",
    "TelegramSecrets": "warner.notify.telegram.config",
    "CallbackRefused": "warner.notify.telegram.keyboard",
    "CallbackSigner": "warner.notify.telegram.keyboard",
    "ForgedCallback": "warner.notify.telegram.keyboard",
    "MalformedCallback": "warner.notify.telegram.keyboard",
    "StaleCallback": "warner.notify.telegram.keyboard",
    "render_page": "warner.notify.telegram.render",
    "SECRET_HEADER": "warner.notify.telegram.webhook",
    "add_webhook_route": "warner.notify.telegram.webhook",
    "create_webhook_app": "warner.notify.telegram.webhook",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
