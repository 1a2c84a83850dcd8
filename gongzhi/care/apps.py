from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CareConfig(AppConfig):
    name = "gongzhi.care"
    label = "care"
    verbose_name = _("一人一档")
