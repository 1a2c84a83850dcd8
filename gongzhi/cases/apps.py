from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "gongzhi.cases"
    label = "cases"
    verbose_name = _("民情事项")

    def ready(self) -> None:
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from gongzhi.accounts.models import Assignment
        from gongzhi.territory.models import Building, Compound, Grid

        from . import cache
        from .models import CalendarDay, HandlingBody, RoutingRule, SlaPolicy

        # configuration caches: dropped when their rows change (no business logic here)
        for model in (CalendarDay, HandlingBody, RoutingRule, SlaPolicy, Compound, Building, Grid, Assignment):
            post_save.connect(cache.clear, sender=model, dispatch_uid=f"cases-cache-save-{model.__name__}")
            post_delete.connect(cache.clear, sender=model, dispatch_uid=f"cases-cache-delete-{model.__name__}")
        m2m_changed.connect(cache.clear, sender=HandlingBody.compounds.through, dispatch_uid="cases-cache-compounds")
