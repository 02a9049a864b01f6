"""Notify: the channels pages go out on (Telegram, SMS, console) and the delivery with retries."""
