from django.db import models
from django.utils.translation import gettext_lazy as _


class PropertyManagement(models.TextChoices):
    COMPANY = "company", _("物业服务企业")
    NONE = "none", _("无物业")


class OwnersOrganisation(models.TextChoices):
    OWNERS_COMMITTEE = "owners_committee", _("业委会")
    SELF_MANAGEMENT = "self_management", _("自管会")
    NONE = "none", _("无")


class CommunityKind(models.TextChoices):
    """From the 12-digit statistical code: 001–199 居委会, 200–399 村委会."""

    URBAN = "urban", _("社区居委会")
    VILLAGE = "village", _("村委会")
