from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TerritoryConfig(AppConfig):
    name = "gongzhi.territory"
    label = "territory"
    verbose_name = _("区域与网格")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from . import resolve
        from .models import Grid

        # the point-to-grid index is rebuilt when this process changes a grid (no business logic)
        post_save.connect(resolve.invalidate, sender=Grid, dispatch_uid="territory-resolve-save")
        post_delete.connect(resolve.invalidate, sender=Grid, dispatch_uid="territory-resolve-delete")
