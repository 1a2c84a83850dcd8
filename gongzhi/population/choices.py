from django.db import models
from django.utils.translation import gettext_lazy as _


class Gender(models.TextChoices):
    MALE = "male", _("男")
    FEMALE = "female", _("女")


class Relation(models.TextChoices):
    """Relation to the head of household (与户主关系)."""

    HEAD = "head", _("户主")
    SPOUSE = "spouse", _("配偶")
    CHILD = "child", _("子女")
    PARENT = "parent", _("父母")
    GRANDCHILD = "grandchild", _("孙子女")
    SIBLING = "sibling", _("兄弟姐妹")
    OTHER = "other", _("其他")


class ResidenceType(models.TextChoices):
    """户籍 / 常住 / 流动: how the person lives here."""

    REGISTERED = "registered", _("户籍人口")
    PERMANENT = "permanent", _("常住非户籍")
    FLOATING = "floating", _("流动人口")


class ResidentTag(models.TextChoices):
    """Labels that drive care, emergencies and services (DOMAIN.md §1, §8)."""

    ELDERLY_ALONE = "elderly_alone", _("独居老人")
    EMPTY_NEST = "empty_nest", _("空巢老人")
    DISABLED = "disabled", _("残疾人")
    LOW_INCOME = "low_income", _("低保对象")
    INCAPACITATED = "incapacitated", _("失能人员")
    LEFT_BEHIND_CHILD = "left_behind_child", _("留守儿童")
    VETERAN = "veteran", _("退役军人")


# Health and disability status: sensitive personal information (个人信息保护法 第二十八条),
# shown only to roles with population.view_health.
HEALTH_TAGS = frozenset({ResidentTag.DISABLED, ResidentTag.INCAPACITATED})


class HouseholdTag(models.TextChoices):
    LOW_INCOME = "low_income", _("低保户")
    HARDSHIP = "hardship", _("困难家庭")
    EMPTY_NEST = "empty_nest", _("空巢家庭")
    MILITARY = "military", _("军属")
    RENTED = "rented", _("出租房屋")


class RevealField(models.TextChoices):
    ID_NUMBER = "id_number", _("公民身份号码")
    PHONE = "phone", _("手机号码")


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("已上传")
    VALIDATING = "validating", _("检查中")
    VALIDATED = "validated", _("检查完成")
    IMPORTING = "importing", _("导入中")
    DONE = "done", _("已导入")
    FAILED = "failed", _("失败")
    CANCELLED = "cancelled", _("已放弃")


class ImportKind(models.TextChoices):
    """What an uploaded workbook holds (the importer that checks and writes it)."""

    RESIDENTS = "residents", _("居民台账")
    PARTY_MEMBERS = "party_members", _("党员名册")


class ImportMode(models.TextChoices):
    ALL = "all", _("全部导入（有错误则不导入）")
    GOOD_ROWS = "good_rows", _("只导入无误的行")
