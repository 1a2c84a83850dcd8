"""GB 11643 ID numbers and phone numbers: validation and masking, exactly."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from gongzhi.population import identity

TODAY = datetime.date(2026, 11, 22)


def test_published_example_and_derived_fields():
    assert identity.id_checksum("11010519491231002") == "X"
    number, birth, gender = identity.parse_id_number(" 11010519491231002x ", TODAY)
    assert (number, birth, gender) == ("11010519491231002X", datetime.date(1949, 12, 31), "female")
    assert identity.parse_id_number("330199198001010017", TODAY)[2] == "male"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("3301991980010100", "公民身份号码应为 18 位：17 位数字加 1 位数字或 X。"),
        ("33019919800101001A", "公民身份号码应为 18 位：17 位数字加 1 位数字或 X。"),
        ("990199198001010017", "公民身份号码前 2 位不是有效的省级行政区划代码。"),
        ("330199198002300017", "公民身份号码中的出生日期 19800230 不存在。"),
        ("330199203001010017", "公民身份号码中的出生日期 20300101 不合理。"),
        ("330199198001010018", "公民身份号码校验位不正确，请核对是否录错。"),
    ],
)
def test_bad_id_numbers(value, message):
    with pytest.raises(ValidationError) as exc:
        identity.parse_id_number(value, TODAY)
    assert exc.value.messages == [message]


@pytest.mark.parametrize("value", ["13800001111", "199 0000 1111", "0571-88001234", "057188001234", "010-1234567"])
def test_good_phones(value):
    assert identity.parse_phone(value) == value.replace(" ", "")


@pytest.mark.parametrize("value", ["12800001111", "1380000111", "138000011112", "88001234", "abc"])
def test_bad_phones(value):
    with pytest.raises(ValidationError):
        identity.parse_phone(value)


def test_masks():
    assert identity.mask_id_number("410105199001011234") == "4101********1234"
    assert identity.mask_phone("13812345678") == "138****5678"
    assert identity.mask_phone("0571-88001234") == "0571****1234"
    assert identity.mask_id_number("") == identity.mask_phone("") == ""
