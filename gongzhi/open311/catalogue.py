"""The Open311 service catalogue: one service per case category (service_code = the category
code of DOMAIN.md), each with a few attributes a partner's form asks for, and their validation.

The catalogue is code, not data: it changes with a release (bump CHANGESET), like the taxonomy.
Attribute values are stored with the case (in the report event's data); a value marked
`urgent` raises the case's priority to 紧急 (an open flame, someone trapped in a lift).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gongzhi.cases.choices import Category

from .errors import SpecError

# When the catalogue last changed (discovery's changeset); bump it with the catalogue.
CHANGESET = datetime.datetime(2026, 12, 1, 0, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))

# Categories whose requests are private matters of named people: never listed by GET requests
# (ADR 0004). The services are still offered, with the keyword "private" (FixMyStreet's convention).
PRIVATE = frozenset({Category.DISPUTE, Category.WELFARE})

DATATYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")
LIST_TYPES = ("singlevaluelist", "multivaluelist")
MAX_NUMBER = Decimal(10) ** 12


@dataclass(frozen=True)
class Value:
    key: str
    name: Promise
    urgent: bool = False


@dataclass(frozen=True)
class Attribute:
    code: str
    datatype: str
    description: Promise  # the question shown to the user
    datatype_description: Promise | str = ""
    required: bool = False
    values: tuple[Value, ...] = ()
    max_length: int = 100
    pattern: str = ""  # a regular expression a string must match (after upper-casing)
    minimum: float | None = None
    maximum: float | None = None
    integer: bool = False

    def value_name(self, key: str) -> str:
        return next((str(v.name) for v in self.values if v.key == key), key)


@dataclass(frozen=True)
class Service:
    code: str
    description: Promise
    group: Promise
    keywords: str
    notice: Promise
    attributes: tuple[Attribute, ...] = field(default=())

    @property
    def name(self) -> str:
        return str(Category(self.code).label)

    @property
    def private(self) -> bool:
        return self.code in PRIVATE


YES_NO = (Value("yes", gettext_lazy("是")), Value("no", gettext_lazy("否")))
YES_URGENT = (Value("yes", gettext_lazy("是"), urgent=True), Value("no", gettext_lazy("否")))
ONE = gettext_lazy("单选，填写选项的 key")
MANY = gettext_lazy("多选，每个选项一个 attribute[code][]")

G_ENV = gettext_lazy("环境与设施")
G_SAFETY = gettext_lazy("安全")
G_TRAFFIC = gettext_lazy("交通与停车")
G_NEIGHBOURS = gettext_lazy("物业与邻里")
G_HELP = gettext_lazy("咨询与帮扶")
G_OTHER = gettext_lazy("其他")

SERVICES: tuple[Service, ...] = (
    Service(
        Category.DISPUTE,
        gettext_lazy("邻里之间因噪音、漏水、占用公共空间、饲养宠物等引发的矛盾，由社区人民调解委员会调解。"),
        G_NEIGHBOURS,
        "噪音,漏水,楼道堆物,宠物,调解,private",
        gettext_lazy("社区人民调解委员会将联系双方了解情况，依法依规调解。"),
        (
            Attribute(
                "dispute_type",
                "singlevaluelist",
                gettext_lazy("纠纷类型"),
                ONE,
                values=(
                    Value("noise", gettext_lazy("噪音扰民")),
                    Value("leak", gettext_lazy("漏水渗水")),
                    Value("space", gettext_lazy("占用公共空间")),
                    Value("pet", gettext_lazy("宠物饲养")),
                    Value("other", gettext_lazy("其他")),
                ),
            ),
            Attribute(
                "conflict", "singlevaluelist", gettext_lazy("是否已发生肢体冲突"), ONE, required=True, values=YES_URGENT
            ),
        ),
    ),
    Service(
        Category.FACILITY,
        gettext_lazy("电梯、路灯、楼道灯、供水管道、门禁等公共设施损坏或故障。"),
        G_ENV,
        "电梯,路灯,楼道灯,水管,门禁,维修",
        gettext_lazy("处理单位将在规定时限内上门查看维修；电梯困人请先拨打轿厢内的救援电话。"),
        (
            Attribute(
                "facility_type",
                "singlevaluelist",
                gettext_lazy("设施类型"),
                ONE,
                required=True,
                values=(
                    Value("elevator", gettext_lazy("电梯")),
                    Value("street_light", gettext_lazy("路灯")),
                    Value("stair_light", gettext_lazy("楼道灯")),
                    Value("water_pipe", gettext_lazy("水管")),
                    Value("access_control", gettext_lazy("门禁")),
                    Value("other", gettext_lazy("其他")),
                ),
            ),
            Attribute("trapped", "singlevaluelist", gettext_lazy("是否有人被困"), ONE, values=YES_URGENT),
        ),
    ),
    Service(
        Category.SANITATION,
        gettext_lazy("垃圾堆积、垃圾分类不规范、污水外溢、卫生死角等环境卫生问题。"),
        G_ENV,
        "垃圾,垃圾分类,污水,异味,卫生死角",
        gettext_lazy("环卫或物业将在规定时限内清理。"),
        (
            Attribute(
                "sanitation_issue",
                "multivaluelist",
                gettext_lazy("问题类型"),
                MANY,
                required=True,
                values=(
                    Value("garbage", gettext_lazy("垃圾堆积")),
                    Value("sorting", gettext_lazy("垃圾分类不规范")),
                    Value("sewage", gettext_lazy("污水外溢")),
                    Value("odour", gettext_lazy("异味")),
                    Value("corner", gettext_lazy("卫生死角")),
                ),
            ),
        ),
    ),
    Service(
        Category.PARKING,
        gettext_lazy("占用消防通道、乱停乱放、僵尸车、充电设施等停车与交通秩序问题。"),
        G_TRAFFIC,
        "停车,消防通道,僵尸车,充电桩,乱停",
        gettext_lazy("将转交物业或交警、城管处理。"),
        (
            Attribute(
                "parking_issue",
                "singlevaluelist",
                gettext_lazy("问题类型"),
                ONE,
                required=True,
                values=(
                    Value("fire_lane", gettext_lazy("占用消防通道")),
                    Value("disorder", gettext_lazy("乱停乱放")),
                    Value("abandoned", gettext_lazy("僵尸车")),
                    Value("charging", gettext_lazy("充电设施")),
                ),
            ),
            Attribute(
                "plate",
                "string",
                gettext_lazy("车牌号"),
                gettext_lazy("如 浙A12345（新能源车为 6 位）"),
                max_length=8,
                pattern=r"^[\u4e00-\u9fa5][A-Z][A-Z0-9]{5,6}$",
            ),
        ),
    ),
    Service(
        Category.FIRE_SAFETY,
        gettext_lazy(
            "堵塞消防通道、电动自行车楼道充电、消防设施损坏等消防与安全隐患。如有明火或人员被困，请立即拨打 119。"
        ),
        G_SAFETY,
        "消防,电动车充电,飞线充电,灭火器,隐患",
        gettext_lazy("消防隐患优先派遣处理；如有明火或人员被困，请立即拨打 119。"),
        (
            Attribute(
                "open_flame", "singlevaluelist", gettext_lazy("是否有明火"), ONE, required=True, values=YES_URGENT
            ),
            Attribute(
                "hazard_type",
                "singlevaluelist",
                gettext_lazy("隐患类型"),
                ONE,
                values=(
                    Value("blocked_exit", gettext_lazy("堵塞消防通道")),
                    Value("ebike_charging", gettext_lazy("电动自行车楼道充电")),
                    Value("equipment", gettext_lazy("消防设施损坏")),
                    Value("fire_use", gettext_lazy("违规用火用电")),
                    Value("other", gettext_lazy("其他")),
                ),
            ),
        ),
    ),
    Service(
        Category.PUBLIC_SECURITY,
        gettext_lazy("可疑人员、盗窃、诈骗等治安防控问题。正在发生的违法犯罪请立即拨打 110。"),
        G_SAFETY,
        "治安,可疑人员,盗窃,诈骗,监控",
        gettext_lazy("将转交社区民警处理；正在发生的违法犯罪请立即拨打 110。"),
        (
            Attribute(
                "security_issue",
                "singlevaluelist",
                gettext_lazy("问题类型"),
                ONE,
                values=(
                    Value("suspicious", gettext_lazy("可疑人员")),
                    Value("theft", gettext_lazy("盗窃")),
                    Value("fraud", gettext_lazy("诈骗")),
                    Value("other", gettext_lazy("其他")),
                ),
            ),
            Attribute(
                "occurred_at",
                "datetime",
                gettext_lazy("发生时间"),
                gettext_lazy("带时区的时间，如 2026-12-01T08:30:00+08:00"),
            ),
        ),
    ),
    Service(
        Category.PROPERTY_SERVICE,
        gettext_lazy("物业服务质量、物业收费、公共维修资金、业主大会与业委会等物业管理问题。"),
        G_NEIGHBOURS,
        "物业,物业费,维修资金,业委会,业主大会",
        gettext_lazy("将转交街道物业办和社区协调处理。"),
        (
            Attribute(
                "property_issue",
                "singlevaluelist",
                gettext_lazy("问题类型"),
                ONE,
                required=True,
                values=(
                    Value("service", gettext_lazy("服务质量")),
                    Value("fees", gettext_lazy("物业收费")),
                    Value("fund", gettext_lazy("公共维修资金")),
                    Value("committee", gettext_lazy("业主大会与业委会")),
                    Value("other", gettext_lazy("其他")),
                ),
            ),
            Attribute("company", "string", gettext_lazy("物业服务企业名称"), gettext_lazy("不超过 100 字")),
        ),
    ),
    Service(
        Category.POLICY,
        gettext_lazy("社保、医保、户籍、养老、就业等政策咨询。"),
        G_HELP,
        "社保,医保,户籍,养老,就业,咨询",
        gettext_lazy("工作人员将在规定时限内答复。"),
        (
            Attribute(
                "topic",
                "singlevaluelist",
                gettext_lazy("咨询事项"),
                ONE,
                required=True,
                values=(
                    Value("social_insurance", gettext_lazy("社保")),
                    Value("medical_insurance", gettext_lazy("医保")),
                    Value("household_registration", gettext_lazy("户籍")),
                    Value("elderly_care", gettext_lazy("养老")),
                    Value("employment", gettext_lazy("就业")),
                    Value("other", gettext_lazy("其他")),
                ),
            ),
        ),
    ),
    Service(
        Category.WELFARE,
        gettext_lazy("困难群众、独居老人、残疾人等的生活帮扶需求。"),
        G_HELP,
        "帮扶,助餐,助医,独居老人,救助,private",
        gettext_lazy("社区社工将联系了解情况。"),
        (
            Attribute(
                "needs",
                "multivaluelist",
                gettext_lazy("帮扶需求"),
                MANY,
                required=True,
                values=(
                    Value("meals", gettext_lazy("助餐")),
                    Value("medical", gettext_lazy("助医")),
                    Value("cleaning", gettext_lazy("助洁")),
                    Value("relief", gettext_lazy("临时救助")),
                    Value("other", gettext_lazy("其他")),
                ),
            ),
            Attribute(
                "household_size",
                "number",
                gettext_lazy("家庭人数"),
                gettext_lazy("整数，1–20"),
                minimum=1,
                maximum=20,
                integer=True,
            ),
        ),
    ),
    Service(
        Category.URBAN_ORDER,
        gettext_lazy("占道经营、乱贴小广告、违规搭建、户外广告等市容秩序问题。"),
        G_ENV,
        "占道经营,小广告,违建,户外广告,城管",
        gettext_lazy("将转交城管执法部门处理。"),
        (
            Attribute(
                "order_issue",
                "singlevaluelist",
                gettext_lazy("问题类型"),
                ONE,
                required=True,
                values=(
                    Value("street_vending", gettext_lazy("占道经营")),
                    Value("flyers", gettext_lazy("乱贴小广告")),
                    Value("illegal_building", gettext_lazy("违规搭建")),
                    Value("billboard", gettext_lazy("户外广告")),
                    Value("other", gettext_lazy("其他")),
                ),
            ),
        ),
    ),
    Service(
        Category.RENOVATION,
        gettext_lazy("加装电梯、老旧小区改造、停车设施、绿化和无障碍设施等改造提升建议。"),
        G_ENV,
        "加装电梯,老旧小区改造,绿化,无障碍,建议",
        gettext_lazy("建议将纳入社区议事协商，并答复处理结果。"),
        (
            Attribute(
                "suggestion_type",
                "singlevaluelist",
                gettext_lazy("建议类型"),
                ONE,
                required=True,
                values=(
                    Value("elevator", gettext_lazy("加装电梯")),
                    Value("old_compound", gettext_lazy("老旧小区改造")),
                    Value("parking", gettext_lazy("停车设施")),
                    Value("greening", gettext_lazy("绿化")),
                    Value("accessibility", gettext_lazy("无障碍设施")),
                    Value("other", gettext_lazy("其他")),
                ),
            ),
            Attribute("details", "text", gettext_lazy("具体建议"), gettext_lazy("不超过 1000 字"), max_length=1000),
        ),
    ),
    Service(
        Category.OTHER,
        gettext_lazy("不属于以上类别的其他诉求。"),
        G_OTHER,
        "其他,投诉,建议,求助",
        gettext_lazy("工作人员将在规定时限内受理并答复。"),
        (
            Attribute(
                "request_kind",
                "singlevaluelist",
                gettext_lazy("诉求性质"),
                ONE,
                values=(
                    Value("complaint", gettext_lazy("投诉")),
                    Value("suggestion", gettext_lazy("建议")),
                    Value("help", gettext_lazy("求助")),
                    Value("praise", gettext_lazy("表扬")),
                ),
            ),
        ),
    ),
)

BY_CODE: dict[str, Service] = {s.code: s for s in SERVICES}


def get(code: str) -> Service:
    """The service of a code; 404 in the spec's format when there is none."""
    service = BY_CODE.get(code)
    if service is None:
        raise SpecError(404, _("未知的 service_code：%(code)s。") % {"code": code[:50]})
    return service


# -- the documents ----------------------------------------------------------------------------


def service_row(service: Service) -> dict:
    return {
        "service_code": service.code,
        "service_name": service.name,
        "description": str(service.description),
        "metadata": True,
        "type": "realtime",
        "keywords": service.keywords,
        "group": str(service.group),
    }


def definition(service: Service) -> dict:
    return {
        "service_code": service.code,
        "attributes": [
            {
                "variable": True,
                "code": a.code,
                "datatype": a.datatype,
                "required": a.required,
                "datatype_description": str(a.datatype_description),
                "order": order,
                "description": str(a.description),
                "values": [{"key": v.key, "name": str(v.name)} for v in a.values],
            }
            for order, a in enumerate(service.attributes, start=1)
        ],
    }


# -- validating submitted attribute values ---------------------------------------------------


@dataclass
class Answer:
    attribute: Attribute
    value: str | list[str]

    @property
    def display(self) -> str:
        if isinstance(self.value, list):
            return "、".join(self.attribute.value_name(v) for v in self.value)
        if self.attribute.datatype == "singlevaluelist":
            return self.attribute.value_name(self.value)
        return self.value

    @property
    def urgent(self) -> bool:
        chosen = self.value if isinstance(self.value, list) else [self.value]
        return any(v.urgent and v.key in chosen for v in self.attribute.values)

    def as_data(self) -> dict:
        return {
            "code": self.attribute.code,
            "label": str(self.attribute.description),
            "value": self.value,
            "display": self.display,
        }


def _name(a: Attribute) -> str:
    return _("“%(label)s”（attribute[%(code)s]）") % {"label": a.description, "code": a.code}


def _choice(a: Attribute, raw: str) -> str:
    for v in a.values:
        if raw == v.key or raw == str(v.name):
            return v.key
    keys = "、".join(v.key for v in a.values)
    message = _("属性%(name)s的值“%(value)s”不在可选范围内（%(keys)s）。")
    raise ValueError(message % {"name": _name(a), "value": raw[:50], "keys": keys})


def parse_datetime(raw: str) -> datetime.datetime | None:
    """A W3C/ISO 8601 date-time with a time zone ("2026-12-01T08:30:00+08:00", "…Z"), or None."""
    try:
        value = datetime.datetime.fromisoformat(raw.strip())
    except ValueError:
        return None
    return value if value.tzinfo is not None and value.utcoffset() is not None else None


def _one(a: Attribute, raw: str) -> str:
    if a.datatype == "singlevaluelist":
        return _choice(a, raw)
    if a.datatype in ("string", "text"):
        value = raw.upper() if a.pattern else raw
        if len(value) > a.max_length:
            raise ValueError(_("属性%(name)s不能超过 %(n)s 字。") % {"name": _name(a), "n": a.max_length})
        if a.pattern and not re.fullmatch(a.pattern, value):
            hint = a.datatype_description
            raise ValueError(_("属性%(name)s的格式不正确：%(hint)s。") % {"name": _name(a), "hint": hint})
        return value
    if a.datatype == "number":
        try:
            number = Decimal(raw)
        except InvalidOperation:
            number = None
        if (
            number is None
            or not number.is_finite()
            or abs(number) > MAX_NUMBER
            or (a.integer and number != number.to_integral_value())
        ):
            kind = _("整数") if a.integer else _("数字")
            raise ValueError(_("属性%(name)s应为%(kind)s。") % {"name": _name(a), "kind": kind})
        if (a.minimum is not None and number < Decimal(str(a.minimum))) or (
            a.maximum is not None and number > Decimal(str(a.maximum))
        ):
            raise ValueError(_("属性%(name)s超出范围：%(hint)s。") % {"name": _name(a), "hint": a.datatype_description})
        return str(int(number)) if a.integer else format(number.normalize(), "f")
    # datetime
    moment = parse_datetime(raw)
    if moment is None:
        raise ValueError(_("属性%(name)s应为带时区的时间，如 2026-12-01T08:30:00+08:00。") % {"name": _name(a)})
    return moment.isoformat()


def validate(service: Service, submitted: dict[str, list[str]]) -> list[Answer]:
    """Check `attribute[code]` values against the service definition: required, datatype,
    allowed values. `submitted` maps a code to the non-empty values sent for it. Codes the
    definition does not know are ignored (clients such as FixMyStreet add their own).
    Raises SpecError(400) naming every faulty attribute."""
    answers, problems = [], []
    for a in service.attributes:
        values = submitted.get(a.code, [])
        if not values:
            if a.required:
                problems.append(_("缺少必填属性%(name)s。") % {"name": _name(a)})
            continue
        try:
            if a.datatype == "multivaluelist":
                keys = list(dict.fromkeys(_choice(a, v) for v in values))
                answers.append(Answer(a, keys))
            elif len(values) > 1:
                raise ValueError(_("属性%(name)s只能填写一个值。") % {"name": _name(a)})
            else:
                answers.append(Answer(a, _one(a, values[0])))
        except ValueError as exc:
            problems.append(str(exc))
    if problems:
        raise SpecError(400, *problems)
    return answers
