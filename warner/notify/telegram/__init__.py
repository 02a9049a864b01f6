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

from warner.notify.telegram.bot import (
    TelegramBackend,
    build_application,
    start_polling,
    start_webhook,
    stop,
)
from warner.notify.telegram.channel import TelegramChannel
from warner.notify.telegram.config import (
    TelegramConfig,
    TelegramSecretError,
    TelegramSecrets,
)
from warner.notify.telegram.keyboard import (
    CallbackRefused,
    CallbackSigner,
    ForgedCallback,
    MalformedCallback,
    StaleCallback,
)
from warner.notify.telegram.render import render_page
from warner.notify.telegram.webhook import (
    SECRET_HEADER,
    add_webhook_route,
    create_webhook_app,
)

__all__ = [
    "SECRET_HEADER",
    "CallbackRefused",
    "CallbackSigner",
    "ForgedCallback",
    "MalformedCallback",
    "StaleCallback",
    "TelegramBackend",
    "TelegramChannel",
    "TelegramConfig",
    "TelegramSecretError",
    "TelegramSecrets",
    "add_webhook_route",
    "build_application",
    "create_webhook_app",
    "render_page",
    "start_polling",
    "start_webhook",
    "stop",
]
