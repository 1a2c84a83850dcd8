"""Text messages through a pluggable gateway. `GONGZHI_SMS_BACKEND` names a class with
`send(phone, text)`; the default writes each message to the log (phone masked), which is what a
deployment without an SMS contract gets. A real gateway (阿里云短信, 腾讯云短信, a carrier's
SMPP) is a class of a few lines outside this repository."""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("gongzhi.sms")


class LogBackend:
    """Writes each message to the `gongzhi.sms` logger instead of sending it."""

    def send(self, phone: str, text: str) -> None:
        from gongzhi.population.identity import mask_phone

        logger.info("SMS to %s: %s", mask_phone(phone), text)


class MemoryBackend:
    """Keeps messages in `MemoryBackend.outbox` (tests)."""

    outbox: list[tuple[str, str]] = []

    def send(self, phone: str, text: str) -> None:
        self.outbox.append((phone, text))


def backend():
    return import_string(getattr(settings, "GONGZHI_SMS_BACKEND", "gongzhi.core.sms.LogBackend"))()


def send_sms(phone: str, text: str) -> None:
    """Send one message; a failing gateway is logged, never raised into the caller's request."""
    if not phone:
        return
    try:
        backend().send(phone, text)
    except Exception:  # a gateway outage must not undo the case step that caused the message
        logger.exception("SMS gateway failed")
