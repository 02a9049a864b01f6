"""SMS: config, the GSM-7 text of a page, and the HTTP-gateway and Twilio channels."""

from warner.notify.sms.channels import HttpSmsChannel, TwilioSmsChannel, sms_channel
from warner.notify.sms.config import (
    HttpGatewayConfig,
    MissingSecretError,
    SmsConfig,
    SmsInboundConfig,
    TwilioConfig,
)
from warner.notify.sms.text import SMS_LIMIT, gsm7_length, sms_text, to_gsm7

__all__ = [
    "SMS_LIMIT",
    "HttpGatewayConfig",
    "HttpSmsChannel",
    "MissingSecretError",
    "SmsConfig",
    "SmsInboundConfig",
    "TwilioConfig",
    "TwilioSmsChannel",
    "gsm7_length",
    "sms_channel",
    "sms_text",
    "to_gsm7",
]
