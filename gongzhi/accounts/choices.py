from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """The roles of DOMAIN.md's table."""

    DISTRICT_ADMIN = "district_admin", _("区级管理员")
    STREET_ADMIN = "street_admin", _("街道管理员")
    DISPATCHER = "dispatcher", _("指挥中心调度员")
    COMMUNITY_WORKER = "community_worker", _("社区工作者")
    GRID_WORKER = "grid_worker", _("网格员")
    HANDLER = "handler", _("处理主体工作人员")
    PARTY_MEMBER = "party_member", _("党员")
    BUILDING_HEAD = "building_head", _("楼栋长")
    RESIDENT = "resident", _("居民")
    PARTNER = "partner", _("共建单位")


class Level(models.TextChoices):
    """Territory levels a user can be assigned to (top to bottom)."""

    DISTRICT = "district", _("区")
    STREET = "street", _("街道")
    COMMUNITY = "community", _("社区")
    GRID = "grid", _("网格")
    BUILDING = "building", _("楼栋")
