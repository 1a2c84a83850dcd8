"""Settings of the Open311 adapter, read at call time (so tests can override them).

- `GONGZHI_OPEN311_JURISDICTION` (default "gongzhi.local"): the one jurisdiction_id this endpoint
  serves. A request naming another one gets 404; an empty or absent one is accepted.
- `GONGZHI_OPEN311_PUBLIC_READ` (default False): whether GET requests.{fmt} and requests/{id}.{fmt}
  may be read without an api_key (ADR 0004). Discovery and services are always public.
- `GONGZHI_OPEN311_CONTACT` (default ""): the contact line published in discovery.
"""

from django.conf import settings


def jurisdiction() -> str:
    return str(getattr(settings, "GONGZHI_OPEN311_JURISDICTION", "gongzhi.local"))


def public_read() -> bool:
    return bool(getattr(settings, "GONGZHI_OPEN311_PUBLIC_READ", False))


def contact() -> str:
    return str(getattr(settings, "GONGZHI_OPEN311_CONTACT", ""))
