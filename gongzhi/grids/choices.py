from django.db import models
from django.utils.translation import gettext_lazy as _


class MemberKind(models.TextChoices):
    """Who staffs a grid (S2 四: 1 full-time party-member worker + 2 part-time)."""

    FULL_TIME = "full_time", _("专职网格员")
    BUILDING_HEAD = "building_head", _("兼职网格员（楼栋长）")
    VOLUNTEER = "volunteer", _("兼职网格员（志愿者）")
    LIAISON = "liaison", _("网格联络干部")


PART_TIME_KINDS = (MemberKind.BUILDING_HEAD, MemberKind.VOLUNTEER)


class PatrolStatus(models.TextChoices):
    OPEN = "open", _("巡查中")
    DONE = "done", _("已结束")


class EntryKind(models.TextChoices):
    NOTE = "note", _("记录")
    VISIT = "visit", _("走访")
    PROBLEM = "problem", _("发现问题")


class ProposalStatus(models.TextChoices):
    PROPOSED = "proposed", _("待确认")
    APPLIED = "applied", _("已应用")
    SUPERSEDED = "superseded", _("已作废")
