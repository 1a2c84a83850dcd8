"""The audit trail: a page and an API, scoped like the data they describe."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from rest_framework import serializers, viewsets

from gongzhi.accounts.roles import AUDIT_VIEW

from .exports import wants_export, xlsx_response
from .filtersets import ObjectChangeFilterSet
from .models import ObjectChange
from .permissions import ScopePermission
from .views import ScopePermissionMixin, paginate, scoped_get, style_form


class ChangeListView(ScopePermissionMixin, TemplateView):
    permission = AUDIT_VIEW
    template_name = "core/change_list.html"

    def get(self, request, *args, **kwargs):
        if wants_export(request):
            qs = ObjectChange.objects.restrict(request.user).select_related("content_type")
            tz = timezone.get_current_timezone()
            rows = (
                [
                    c.time.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"),
                    c.user_name,
                    c.get_action_display(),
                    c.content_type.name,
                    c.object_repr,
                    c.request_id,
                ]
                for c in ObjectChangeFilterSet(request.GET, queryset=qs).qs.iterator(chunk_size=2000)
            )
            headers = [_("时间"), _("操作人"), _("动作"), _("对象类型"), _("对象"), _("请求编号")]
            return xlsx_response(_("操作记录"), headers, rows, stem="changes")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        qs = ObjectChange.objects.restrict(self.request.user).select_related("content_type")
        filterset = ObjectChangeFilterSet(self.request.GET, queryset=qs)
        style_form(filterset.form)
        ctx.update(filterset=filterset, page=paginate(self.request, filterset.qs))
        return ctx


class ChangeDetailView(ScopePermissionMixin, TemplateView):
    permission = AUDIT_VIEW
    template_name = "core/change_detail.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["change"] = scoped_get(ObjectChange, self.request.user, pk=kwargs["pk"])
        return ctx


class ObjectChangeSerializer(serializers.ModelSerializer):
    content_type = serializers.SerializerMethodField(label=_("对象类型"))

    class Meta:
        model = ObjectChange
        fields = [
            "id",
            "time",
            "user",
            "user_name",
            "request_id",
            "action",
            "content_type",
            "object_id",
            "object_repr",
            "prechange_data",
            "postchange_data",
        ]

    def get_content_type(self, obj) -> str:
        return f"{obj.content_type.app_label}.{obj.content_type.model}"


class ObjectChangeViewSet(viewsets.ReadOnlyModelViewSet):
    """The audit trail of changes within your scope."""

    permission_classes = [ScopePermission]
    scope_app = "audit"
    serializer_class = ObjectChangeSerializer
    filterset_class = ObjectChangeFilterSet
    queryset = ObjectChange.objects.none()

    def get_queryset(self):
        return ObjectChange.objects.restrict(self.request.user).select_related("content_type")
