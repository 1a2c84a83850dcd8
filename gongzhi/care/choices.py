from django.db import models
from django.utils.translation import gettext_lazy as _


class CareKind(models.TextChoices):
    ELDERLY_ALONE = "elderly_alone", _("独居老人")
    EMPTY_NEST = "empty_nest", _("空巢老人")
    DISABLED = "disabled", _("残疾人")
    INCAPACITATED = "incapacitated", _("失能人员")
    LEFT_BEHIND_CHILD = "left_behind_child", _("留守儿童")
    LOW_INCOME = "low_income", _("低保对象")
    OTHER = "other", _("其他困难群众")


class RiskLevel(models.TextChoices):
    """How closely the person is watched; sets how often they are visited."""

    HIGH = "high", _("高风险")
    KEY = "key", _("重点")
    ORDINARY = "ordinary", _("一般")


class VisitOutcome(models.TextChoices):
    WELL = "well", _("情况良好")
    CONCERN = "concern", _("需要关注")
    URGENT = "urgent", _("紧急情况")
    NOT_MET = "not_met", _("未见到本人")


class FollowUpStatus(models.TextChoices):
    OPEN = "open", _("待办")
    DONE = "done", _("已办结")
