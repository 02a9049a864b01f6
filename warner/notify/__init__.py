"""Notification channels (Telegram, SMS, console) behind one small interface (``notify/base.py``).

Deliberately empty: ``warner.config`` loads ``notify/config.py`` while it is itself being
imported, so nothing here may import the channels or the incident model at load time.
"""
