"""Writes of the Open311 adapter: the lifecycle of partners' API keys, and turning a POSTed
service request into a case through `gongzhi.cases.services.report_case`.

Keys are 40 random letters and digits. The database keeps the first eight (`key_prefix`, shown
in lists, used to find the row) and HMAC-SHA256(SECRET_KEY, key); a presented key is compared
with `hmac.compare_digest`. Rotating SECRET_KEY therefore invalidates every key (operations.md).
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import html
import re
import secrets
import string
import unicodedata

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from gongzhi.accounts import services as accounts
from gongzhi.accounts.models import User
from gongzhi.cases import services as cases
from gongzhi.cases.choices import Channel, Priority
from gongzhi.cases.models import Case
from gongzhi.core.audit import log_change, serialize_object
from gongzhi.core.choices import ChangeAction
from gongzhi.population.identity import parse_phone
from gongzhi.territory.models import Building

from . import catalogue
from .errors import SpecError
from .models import ApiKey
from .params import Params

KEY_ALPHABET = string.ascii_letters + string.digits
KEY_LENGTH = 40
PREFIX_LENGTH = 8
TOUCH_EVERY = datetime.timedelta(minutes=1)
SPEC_MAX_DESCRIPTION = 4000  # GeoReport v2: "may not be longer than 4,000 characters"
MAX_DESCRIPTION = min(SPEC_MAX_DESCRIPTION, cases.MAX_DESCRIPTION)
MAX_ID = 100
MAX_URL = 500
CJK = re.compile(r"[\u3400-\u9fff]")
# what the case services call a field → the Open311 parameter a partner sent
PARAM_OF_FIELD = {
    "description": "description",
    "reporter_phone": "phone",
    "reporter_name": "first_name/last_name",
    "location": "lat/long/address_string/address_id",
    "address": "address_string",
    "category": "service_code",
    "priority": "attribute",
}


# -- keys -------------------------------------------------------------------------------------


def hash_key(raw: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), raw.encode(), hashlib.sha256).hexdigest()


def _new_key() -> str:
    return "".join(secrets.choice(KEY_ALPHABET) for _i in range(KEY_LENGTH))


@transaction.atomic
def create_key(*, actor, name: str, now: datetime.datetime, street=None) -> tuple[ApiKey, str]:
    """A key for a partner, with its own service account. Returns the row and the key, which is
    not stored and cannot be shown again."""
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": [_("请填写合作方名称。")]})
    if len(name) > 100:
        raise ValidationError({"name": [_("合作方名称不能超过 100 字。")]})
    for _attempt in range(20):
        raw = _new_key()
        prefix = raw[:PREFIX_LENGTH]
        taken = ApiKey.objects.filter(key_prefix=prefix).exists()
        if not taken and not User.objects.filter(username=f"open311-{prefix}").exists():
            break
    else:  # pragma: no cover - 62**8 prefixes
        raise ValidationError(_("无法生成不重复的密钥，请重试。"))
    user = accounts.create_user(
        actor=actor,
        username=f"open311-{prefix}",
        password=None,
        display_name=f"Open311·{name}"[:50],
        organisation=name,
    )
    key = ApiKey.objects.create(
        name=name,
        key_prefix=prefix,
        key_hash=hash_key(raw),
        user=user,
        street=street,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    log_change(actor=actor, obj=key, action=ChangeAction.CREATE)
    return key, raw


@transaction.atomic
def revoke_key(key: ApiKey, *, actor, now: datetime.datetime) -> ApiKey:
    """Revoke a key for good; its service account is deactivated (the cases it entered stay)."""
    locked = ApiKey.objects.select_for_update().select_related("user").get(pk=key.pk)
    if locked.revoked_at is not None:
        raise ValidationError(_("该密钥已于 %(time)s 吊销。") % {"time": f"{locked.revoked_at:%Y-%m-%d %H:%M}"})
    before = serialize_object(locked)
    locked.revoked_at = now
    locked.save(update_fields=["revoked_at", "updated"])
    log_change(actor=actor, obj=locked, action=ChangeAction.UPDATE, before=before)
    user = locked.user
    if user.is_active:
        user_before = serialize_object(user)
        user.is_active = False
        user.save(update_fields=["is_active"])
        log_change(actor=actor, obj=user, action=ChangeAction.UPDATE, before=user_before)
    return locked


def authenticate(raw: str | None, *, now: datetime.datetime) -> ApiKey | None:
    """The active key matching `raw`, or None. The comparison takes the same time whether the
    prefix exists or not, and whichever key it is; `last_used` is updated at most once a minute."""
    raw = raw or ""
    digest = hash_key(raw)
    candidates = list(ApiKey.objects.filter(key_prefix=raw[:PREFIX_LENGTH]).select_related("user", "street"))
    found = None
    for candidate in candidates or [None]:
        expected = candidate.key_hash if candidate is not None else hash_key("\x00")
        if hmac.compare_digest(expected, digest) and candidate is not None:
            found = candidate
    if found is None or len(raw) != KEY_LENGTH or found.revoked_at is not None or not found.user.is_active:
        return None
    if found.last_used is None or now - found.last_used >= TOUCH_EVERY:
        ApiKey.objects.filter(pk=found.pk).update(last_used=now)
        found.last_used = now
    return found


# -- POST requests: a service request becomes a case ------------------------------------------


def clean_text(value: str) -> str:
    """Plain text: entities decoded, tags removed (line breaks kept), control characters dropped."""
    value = re.sub(r"(?i)<br\s*/?>|</p\s*>|</div\s*>|</li\s*>", "\n", html.unescape(value))
    value = strip_tags(value)
    value = "".join(c for c in value if c in "\n\t" or unicodedata.category(c) not in ("Cc", "Cs"))
    return re.sub(r"\n{3,}", "\n\n", value).strip()


def _full_name(first: str, last: str) -> str:
    """Chinese order (姓 last_name, then 名 first_name) for Chinese names, else "first last"."""
    if CJK.search(first + last):
        return f"{last}{first}"
    return " ".join(part for part in (first, last) if part)


def _spec_errors(exc: ValidationError) -> SpecError:
    messages = []
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            param = PARAM_OF_FIELD.get(field, "" if field == NON_FIELD_ERRORS else field)
            messages += [f"{param}：{m}" if param else m for m in errors]
    else:
        messages = list(exc.messages)
    return SpecError(400, *messages)


def _optional_id(params: Params, name: str) -> str:
    value = clean_text(params.get(name) or "")
    if len(value) > MAX_ID:
        raise SpecError(400, _("参数 %(name)s 不能超过 %(n)s 个字符。") % {"name": name, "n": MAX_ID})
    return value


def submit_request(*, key: ApiKey, params: Params, now: datetime.datetime) -> tuple[Case, catalogue.Service]:
    """POST requests: validate the parameters against the spec and the service definition, then
    report the case as the key's service account on the Open311 channel. The partner's service
    is passed as the case's category (the dispatcher still confirms it); attribute answers,
    the partner's account and device ids and media_url go into the report event's data. Email is
    not kept: nothing here writes to it, so it is not collected (PIPL: minimum necessary)."""
    code = params.get("service_code")
    if code is None:
        raise SpecError(400, _("缺少参数 service_code。"))
    service = catalogue.get(code)
    answers = catalogue.validate(service, params.attributes())

    lat, lon = params.get("lat"), params.get("long")
    address = clean_text(params.get("address_string") or "")
    address_id = params.get("address_id")
    if (lat is None) != (lon is None):
        raise SpecError(400, _("lat 和 long 须同时提供。"))
    building = None
    if address_id is not None:
        building = Building.objects.filter(code=address_id).first()
        if building is None:
            raise SpecError(400, _("address_id：未找到楼栋编码“%(code)s”。") % {"code": address_id[:40]})
    if lat is None and not address and building is None:
        raise SpecError(400, _("缺少位置：请提供 lat 和 long，或 address_string，或 address_id（楼栋编码）。"))

    description = clean_text(params.get("description") or "")
    if len(description) > MAX_DESCRIPTION:
        raise SpecError(400, _("description 不能超过 %(n)s 字。") % {"n": MAX_DESCRIPTION})
    if not description:
        # A form of choices only: the choices say what it is. Free-text answers (a licence
        # plate) stay out of the description, which is published.
        choices = [a for a in answers if a.attribute.datatype in catalogue.LIST_TYPES]
        chosen = "；".join(f"{a.attribute.description}：{a.display}" for a in choices)
        description = f"【{service.name}】{chosen or _('（未填写描述）')}"

    phone = params.get("phone") or ""
    if phone:
        try:
            phone = parse_phone(phone)
        except ValidationError as exc:
            raise SpecError(400, *[f"phone：{m}" for m in exc.messages]) from None
    name = _full_name(clean_text(params.get("first_name") or ""), clean_text(params.get("last_name") or ""))

    media_url = params.get("media_url") or ""
    if media_url:
        try:
            if len(media_url) > MAX_URL:
                raise ValidationError("too long")
            URLValidator(schemes=["http", "https"])(media_url)
        except ValidationError:
            raise SpecError(400, _("media_url 应为不超过 500 个字符的 http(s) 地址。")) from None

    extra = {
        "api_key": key.key_prefix,
        "partner": key.name,
        "service_code": service.code,
        "attributes": [a.as_data() for a in answers],
        "account_id": _optional_id(params, "account_id"),
        "device_id": _optional_id(params, "device_id"),
        "media_url": media_url,
    }
    priority = Priority.EMERGENCY if any(a.urgent for a in answers) else Priority.NORMAL
    try:
        with transaction.atomic():
            case = cases.report_case(
                actor=key.user,
                channel=Channel.OPEN311,
                description=description,
                now=now,
                lon=lon,
                lat=lat,
                address=address,
                building=building,
                reporter_name=name,
                reporter_phone=phone,
                priority=priority,
                category=service.code,
                data={"open311": {k: v for k, v in extra.items() if v not in ("", [])}},
            )
            if key.street_id is not None and case.street_id != key.street_id:
                # re-checked inside the transaction: raising rolls the case back
                raise SpecError(400, _("该位置不在本密钥的服务范围（%(street)s）内。") % {"street": key.street})
    except ValidationError as exc:
        raise _spec_errors(exc) from None
    return case, service
