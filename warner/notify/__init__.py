"""Notification channels (Telegram, SMS, console) behind one small interface."""

from warner.notify.base import Action, Channel, Delivery, IncidentActions, Page, Recipient

__all__ = ["Action", "Channel", "Delivery", "IncidentActions", "Page", "Recipient"]
