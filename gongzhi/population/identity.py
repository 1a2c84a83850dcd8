"""Chinese citizen ID numbers (GB 11643-1999) and phone numbers: validation and masking."""

from __future__ import annotations

import datetime
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from gongzhi.core.crypto import normalise

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
# Province-level codes of GB/T 2260 (the first two digits of an ID number).
PROVINCES = {
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
    "65", "71", "81", "82", "83",
}  # fmt: skip
MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")


def id_checksum(first17: str) -> str:
    """The check character of GB 11643-1999 (ISO 7064 MOD 11-2)."""
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11]


def parse_id_number(value: str, today: datetime.date | None = None) -> tuple[str, datetime.date, str]:
    """Validate an ID number; return (normalised number, birth date, gender)."""
    number = normalise(value)
    if not re.fullmatch(r"\d{17}[\dX]", number):
        raise ValidationError(_("公民身份号码应为 18 位：17 位数字加 1 位数字或 X。"), code="format")
    if number[:2] not in PROVINCES:
        raise ValidationError(_("公民身份号码前 2 位不是有效的省级行政区划代码。"), code="region")
    try:
        birth = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValidationError(
            _("公民身份号码中的出生日期 %(date)s 不存在。") % {"date": number[6:14]}, code="birth"
        ) from None
    today = today or datetime.date.today()
    if birth > today or birth.year < 1880:
        raise ValidationError(_("公民身份号码中的出生日期 %(date)s 不合理。") % {"date": number[6:14]}, code="birth")
    if id_checksum(number[:17]) != number[17]:
        raise ValidationError(_("公民身份号码校验位不正确，请核对是否录错。"), code="checksum")
    gender = "male" if int(number[16]) % 2 else "female"
    return number, birth, gender


def parse_phone(value: str) -> str:
    phone = normalise(value)
    if not (MOBILE.match(phone) or LANDLINE.match(phone)):
        raise ValidationError(
            _("电话号码格式不正确：手机号为 11 位，以 1 开头；固定电话如 0571-88001234。"), code="phone"
        )
    return phone


def mask_id_number(number: str) -> str:
    """4101********1234: the first four and last four characters, fixed width between."""
    if not number:
        return ""
    return f"{number[:4]}********{number[-4:]}" if len(number) > 8 else "*" * len(number)


def mask_phone(phone: str) -> str:
    """138****5678 for a mobile; landlines keep the area code and the last four digits."""
    if not phone:
        return ""
    if len(phone) == 11 and phone.startswith("1"):
        return f"{phone[:3]}****{phone[-4:]}"
    return f"{phone[:4]}****{phone[-4:]}" if len(phone) > 8 else "*" * len(phone)
