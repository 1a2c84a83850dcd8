"""The reporter's link (短信评价链接): a signed URL sent by SMS to a reporter who has no account
(a hotline caller, a resident a grid worker talked to). It shows that one case's public steps
and lets its reporter rate it, or reopen it, without signing in — as 12345 hotlines do.

The token names the case and a prefix of the reporter's phone blind index, signed with the
secret key; it expires after `GONGZHI_REPORTER_LINK_DAYS` (default 60).
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "gongzhi.cases.reporter-link"


def max_age_seconds() -> int:
    return int(getattr(settings, "GONGZHI_REPORTER_LINK_DAYS", 60)) * 86400


def make_token(case) -> str:
    return signing.dumps({"c": case.pk, "p": case.reporter_phone_hash[:16]}, salt=SALT, compress=True)


def read_token(token: str) -> tuple[int, str] | None:
    """(case id, phone hash prefix) of a valid, unexpired token; None otherwise."""
    try:
        data = signing.loads(token, salt=SALT, max_age=max_age_seconds())
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("c"), int) or not isinstance(data.get("p"), str):
        return None
    return data["c"], data["p"]


def url(case) -> str:
    base = str(getattr(settings, "GONGZHI_PUBLIC_URL", "http://127.0.0.1:8000")).rstrip("/")
    return base + reverse("cases:reporter-link", args=[make_token(case)])
