"""Vocabularies of the closed loop of residents' matters (民情闭环). Codes are stable identifiers."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    """The public case taxonomy of DOMAIN.md (area 3). Codes never change; labels may."""

    DISPUTE = "dispute", _("邻里纠纷")
    FACILITY = "facility", _("设施损坏")
    SANITATION = "sanitation", _("环境卫生")
    PARKING = "parking", _("停车与交通秩序")
    FIRE_SAFETY = "fire_safety", _("消防与安全隐患")
    PUBLIC_SECURITY = "public_security", _("治安防控")
    PROPERTY_SERVICE = "property_service", _("物业管理与业主自治")
    POLICY = "policy", _("政策咨询")
    WELFARE = "welfare", _("民生帮扶")
    URBAN_ORDER = "urban_order", _("市容秩序")
    RENOVATION = "renovation", _("改造提升建议")
    OTHER = "other", _("其他")


class Priority(models.TextChoices):
    """How fast it must be solved; with the category it selects the SLA policy."""

    EMERGENCY = "emergency", _("紧急")
    URGENT = "urgent", _("加急")
    NORMAL = "normal", _("一般")
    COMPLEX = "complex", _("复杂疑难")


class Channel(models.TextChoices):
    """Where a matter came in (事项一口归集: every channel into one place)."""

    GRID_APP = "grid_app", _("网格员上报")
    RESIDENT = "resident", _("居民自报")
    HOTLINE = "hotline", _("热线电话")
    COURTYARD = "courtyard", _("院坝会")
    VISIT = "visit", _("来访")
    API = "api", _("接口")
    OPEN311 = "open311", _("Open311")
    IOT = "iot", _("物联感知")


class State(models.TextChoices):
    """Where a case is in the seven steps (信息收集 → 案卷建立 → 任务派遣 → 任务处理 → 处理反馈 →
    核实结案 → 综合评价). The allowed moves are the table in workflow.py."""

    REPORTED = "reported", _("待受理")
    REGISTERED = "registered", _("待派遣")
    REJECTED = "rejected", _("不予立案")
    MERGED = "merged", _("已并单")
    DISPATCHED = "dispatched", _("待签收")
    RETURNED = "returned", _("已退单")
    ACCEPTED = "accepted", _("处理中")
    PLANNED = "planned", _("方案已定")
    SUSPENDED = "suspended", _("缓办挂账")
    HANDLED = "handled", _("待核实")
    VERIFIED = "verified", _("待评价")
    CLOSED = "closed", _("已结案")


class Tier(models.TextChoices):
    """The level that holds a case: 微事不出格、小事不出社区、大事不出街道 (lowest first)."""

    GRID = "grid", _("网格")
    COMMUNITY = "community", _("社区")
    STREET = "street", _("街道")
    DISTRICT = "district", _("区级部门")


TIER_ORDER = [Tier.GRID, Tier.COMMUNITY, Tier.STREET, Tier.DISTRICT]


class BodyKind(models.TextChoices):
    """Kinds of handling body (处理主体)."""

    GRID_STATION = "grid_station", _("网格工作站")
    RESIDENTS_COMMITTEE = "residents_committee", _("社区居委会")
    MEDIATION = "mediation", _("人民调解委员会")
    PROPERTY_COMPANY = "property_company", _("物业服务企业")
    OWNERS_COMMITTEE = "owners_committee", _("业委会/自管会")
    SOCIAL_WORK = "social_work", _("社区民政/社工站")
    SERVICE_CENTRE = "service_centre", _("街道政务服务中心")
    STREET_OFFICE = "street_office", _("街道职能科室")
    PROPERTY_OFFICE = "property_office", _("街道物业办")
    CONSTRUCTION_OFFICE = "construction_office", _("街道城建办")
    ENFORCEMENT = "enforcement", _("城管执法")
    POLICE = "police", _("派出所/交警")
    FIRE = "fire", _("消防救援/应急")
    SANITATION = "sanitation", _("环卫")
    DEPARTMENT = "department", _("区级职能部门")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASIC = "basic", _("基本满意")
    UNSATISFIED = "unsatisfied", _("不满意")


class WhistleReason(models.TextChoices):
    """The three occasions on which a street or community may blow the whistle (吹哨)."""

    BEYOND_POWER = "beyond_power", _("街道社区解决不了的突出问题")
    JOINT_ENFORCEMENT = "joint_enforcement", _("需要综合执法")
    EMERGENCY = "emergency", _("应急处置")


class SlaPhase(models.TextChoices):
    """The clocks a case runs against."""

    DISPATCH = "dispatch", _("派遣时限")
    ACCEPT = "accept", _("签收时限")
    PLAN = "plan", _("方案时限")
    RESOLVE = "resolve", _("办结时限")


class SlaState(models.TextChoices):
    """Derived from deadlines and the time asked about; never stored."""

    ON_TIME = "on_time", _("正常")
    DUE_SOON = "due_soon", _("即将到期")
    OVERDUE = "overdue", _("已超时")
    STOPPED = "stopped", _("已停表")


class DurationUnit(models.TextChoices):
    NATURAL_MINUTES = "minutes", _("自然分钟")
    NATURAL_HOURS = "hours", _("自然小时")
    WORK_HOURS = "work_hours", _("工作小时")
    WORK_DAYS = "work_days", _("工作日")
    NATURAL_DAYS = "days", _("自然日")
