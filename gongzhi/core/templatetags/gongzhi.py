"""Template filters: masked personal data and ages."""

import datetime

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.population.identity import mask_id_number, mask_phone

register = template.Library()


@register.filter(name="mask_id")
def mask_id(value: str) -> str:
    return mask_id_number(value or "")


@register.filter(name="mask_phone")
def mask_phone_filter(value: str) -> str:
    return mask_phone(value or "")


@register.filter
def age(birth: datetime.date | None) -> str:
    if not birth:
        return "—"
    today = timezone.localdate()
    years = today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
    return _("%(n)s 岁") % {"n": years}


@register.filter
def pct(value) -> str:
    """0.9531 → "95.3%"; None (no denominator) → "—"."""
    if value is None or value == "":
        return "—"
    try:
        return f"{float(value) * 100:.1f}%"
    except (TypeError, ValueError):
        return "—"
