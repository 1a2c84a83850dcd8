from django.db import models
from django.utils.translation import gettext_lazy as _


class PeriodStatus(models.TextChoices):
    OPEN = "open", _("进行中")
    CLOSED = "closed", _("已关账")


class AreaLevel(models.TextChoices):
    STREET = "street", _("街道")
    COMMUNITY = "community", _("社区")
    GRID = "grid", _("网格")


class RankingKind(models.TextChoices):
    COMMUNITY = "community", _("社区")
    GRID = "grid", _("网格")
    WORKER = "worker", _("网格员")
    BODY = "body", _("处理主体")
