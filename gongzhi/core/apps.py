from django.apps import AppConfig
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "gongzhi.core"
    label = "core"
    verbose_name = _("基础")

    def ready(self) -> None:
        checks.register(check_field_key, checks.Tags.security)


def check_field_key(app_configs=None, **kwargs):
    """Fail at start-up, not at the first resident saved, when the field key is unusable."""
    from . import crypto

    try:
        crypto.check_key()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), hint="Set GONGZHI_FIELD_KEY to base64 of 32 random bytes.", id="gongzhi.E001")]
    return []
