from django.db import models
from django.utils.translation import gettext_lazy as _


class OrgKind(models.TextChoices):
    """Kinds of party organisation, top to bottom (DOMAIN.md §2, seeds S0, S2, S4)."""

    DISTRICT_COMMITTEE = "district_committee", _("区委")
    STREET_COMMITTEE = "street_committee", _("街道党工委")
    COMMUNITY_COMMITTEE = "community_committee", _("社区党委")
    COMMUNITY_GENERAL_BRANCH = "community_general_branch", _("社区党总支")
    COMMUNITY_BRANCH = "community_branch", _("社区党支部")
    COMPOUND_BRANCH = "compound_branch", _("小区党支部")
    GRID_BRANCH = "grid_branch", _("网格党支部")
    JOINT_BRANCH = "joint_branch", _("联合党支部")
    FUNCTIONAL_BRANCH = "functional_branch", _("功能型党支部")
    BUILDING_GROUP = "building_group", _("楼栋党小组")


class OrgLevel(models.TextChoices):
    """The territory level an organisation is anchored at (the lowest node holding all it covers)."""

    DISTRICT = "district", _("区")
    STREET = "street", _("街道")
    COMMUNITY = "community", _("社区")
    GRID = "grid", _("网格")
    COMPOUND = "compound", _("小区")


class MemberType(models.TextChoices):
    DIRECT = "direct", _("直管党员")
    IN_SERVICE = "in_service", _("在职党员")
    RETIRED = "retired", _("离退休党员")
    FLOATING = "floating", _("流动党员")
    PAIRED_UNIT = "paired_unit", _("结对单位党员")


class PartyRoleKind(models.TextChoices):
    SECRETARY = "secretary", _("书记")
    COMMITTEE_MEMBER = "committee_member", _("委员")
    GROUP_LEADER = "group_leader", _("党小组长")
    BUILDING_HEAD = "building_head", _("楼栋长")
    CENTRAL_HOUSEHOLD = "central_household", _("党员中心户")
    RED_STEWARD = "red_steward", _("红色管家")


class ReportStatus(models.TextChoices):
    """双报到: an in-service member's report-in to their home community."""

    REPORTED = "reported", _("已报到")
    CONFIRMED = "confirmed", _("已确认")
    ENDED = "ended", _("已结束")


class ExpectedBranch(models.TextChoices):
    """What seed S4's branch-building rule asks of a compound."""

    OWN = "own", _("单独建立党支部")
    JOINT = "joint", _("联合建立党支部")
    FUNCTIONAL = "functional", _("组建功能型党支部")
    NONE = "none", _("暂无党员")


class CoverageStatus(models.TextChoices):
    """How a compound's actual organisation compares with what the rule asks."""

    OK = "ok", _("符合规则")
    MISSING = "missing", _("未建党组织")
    MISMATCH = "mismatch", _("组织形式与规则不符")
    NO_MEMBERS = "no_members", _("暂无党员")
