"""The call channel the config asks for (``notify.voice.provider``)."""

from __future__ import annotations

from collections.abc import Mapping
from zoneinfo import ZoneInfo

from rich.console import Console

from warner.notify.voice.config import VoiceConfig
from warner.notify.voice.console import ConsoleVoiceChannel
from warner.notify.voice.hook import HttpVoiceChannel
from warner.notify.voice.twilio import TwilioVoiceChannel

VoiceChannel = TwilioVoiceChannel | HttpVoiceChannel | ConsoleVoiceChannel


def voice_channel(
    config: VoiceConfig,
    *,
    name: str = "call",
    labels: Mapping[str, str] | None = None,
    console: Console | None = None,
) -> VoiceChannel:
    """Raises ``MissingSecretError`` naming an unset variable (twilio, http)."""
    tz = ZoneInfo(config.time_zone)
    if config.provider == "twilio":
        return TwilioVoiceChannel(config, name=name, labels=labels, tz=tz)
    if config.provider == "http":
        return HttpVoiceChannel(config, name=name, labels=labels, tz=tz)
    return ConsoleVoiceChannel(console or Console(), name=name, labels=labels, tz=tz)
