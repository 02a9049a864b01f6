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

import os

# python-telegram-bot 22 warns inside its own RetryAfter unless told to use timedeltas; with
# warnings as errors that turned a 429 into a crash. Our code accepts both value types. Set here,
# in the package every Telegram module is imported through, so it holds before PTB is imported.
os.environ.setdefault("PTB_TIMEDELTA", "true")
