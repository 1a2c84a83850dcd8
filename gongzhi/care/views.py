"""Care file pages: the list with what is due, overdue visits per grid and per member, a profile
with its visits, recording a visit, and the printable list of vulnerable residents of a grid."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from gongzhi.core.exports import wants_export, xlsx_response
from gongzhi.core.views import paginate
from gongzhi.party.models import PartyMember
from gongzhi.population.models import Resident, RevealLog
from gongzhi.territory.models import Grid

from . import services
from .choices import CareKind, RiskLevel, VisitOutcome
from .models import CareProfile, FollowUp

CARE_VIEW = "care.view"


def visible_profiles(user, action: str = "view"):
    """Profiles in the user's territory, plus those paired with the user as a party member."""
    qs = CareProfile.objects.restrict(user, action)
    if action == "view" and user.is_authenticated and PartyMember.objects.filter(user=user).exists():
        qs = qs | CareProfile.objects.filter(paired_member__user=user)
    return qs


class CareAccessMixin:
    """Anonymous → login; neither care.view nor any pairing → 403."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            from django.contrib.auth.views import redirect_to_login

            return redirect_to_login(request.get_full_path())
        allowed = request.user.has_scope_perm(CARE_VIEW)
        if not (allowed or CareProfile.objects.filter(paired_member__user=request.user).exists()):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class CareListView(CareAccessMixin, TemplateView):
    template_name = "care/list.html"

    def get(self, request, *args, **kwargs):
        if wants_export(request):
            today = timezone.localdate()
            listed = services.overdue(self.filtered(), today) if request.GET.get("overdue") == "1" else self.filtered()
            rows = services.due_rows(listed, today)
            headers = [
                _("姓名"),
                _("类别"),
                _("风险等级"),
                _("结对党员"),
                _("上次走访"),
                _("应走访日期"),
                _("逾期天数"),
                _("住址"),
            ]
            lines = (
                [
                    r.profile.resident.name,
                    r.profile.get_kind_display(),
                    r.profile.get_risk_level_display(),
                    r.profile.paired_member.name if r.profile.paired_member else "",
                    r.last_visit,
                    r.due,
                    r.overdue_days,
                    f"{r.profile.resident.building.compound.name}{r.profile.resident.building.name}"
                    f"{r.profile.resident.household.room}",
                ]
                for r in rows
            )
            return xlsx_response(_("关爱走访台账"), headers, lines, stem="care")
        return super().get(request, *args, **kwargs)

    def filtered(self):
        params = self.request.GET
        qs = visible_profiles(self.request.user).filter(closed=None)
        if params.get("grid", "").isdigit():
            qs = qs.filter(grid_id=int(params["grid"]))
        if params.get("risk") in RiskLevel.values:
            qs = qs.filter(risk_level=params["risk"])
        if params.get("kind") in CareKind.values:
            qs = qs.filter(kind=params["kind"])
        return qs

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        params, today = self.request.GET, timezone.localdate()
        qs = self.filtered()
        late = services.overdue(qs, today)
        listed = late if params.get("overdue") == "1" else qs
        listed = listed.select_related("resident__household", "resident__building__compound", "paired_member").order_by(
            "next_due", "pk"
        )
        page = paginate(self.request, listed)
        by_grid = list(late.order_by().values("grid_id").annotate(n=Count("pk")).order_by("-n")[:8])
        grid_names = dict(Grid.objects.filter(pk__in=[g["grid_id"] for g in by_grid]).values_list("pk", "name"))
        by_member = list(
            late.exclude(paired_member=None).order_by().values("paired_member__name")
            .annotate(n=Count("pk")).order_by("-n", "paired_member__name")[:8]
        )  # fmt: skip
        ctx.update(
            page=page,
            rows=services.rows_for(page, today),
            total=qs.count(),
            overdue_count=late.count(),
            overdue_by_grid=[(grid_names.get(g["grid_id"], g["grid_id"]), g["grid_id"], g["n"]) for g in by_grid],
            overdue_by_member=[(m["paired_member__name"], m["n"]) for m in by_member],
            grids=Grid.objects.restrict(self.request.user).order_by("code"),
            risks=RiskLevel.choices,
            kinds=CareKind.choices,
            params=params,
            intervals=services.intervals(),
        )
        return ctx


class CareDetailView(CareAccessMixin, TemplateView):
    template_name = "care/detail.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        profile = get_object_or_404(
            visible_profiles(self.request.user).select_related(
                "resident__household", "resident__building__compound", "paired_member"
            ),
            pk=kwargs["pk"],
        )
        today = timezone.localdate()
        (row,) = services.rows_for([profile], today)
        ctx.update(
            profile=profile,
            due=row,
            visits=profile.visits.select_related("visitor").prefetch_related("follow_ups")[:50],
            follow_ups=profile.follow_ups.filter(status="open"),
            contacts=profile.contacts.all(),
            outcomes=VisitOutcome.choices,
            today=today,
        )
        return ctx


class RecordVisitView(CareAccessMixin, View):
    def post(self, request, pk):
        profile = get_object_or_404(visible_profiles(request.user), pk=pk)
        data = request.POST
        try:
            date = timezone.datetime.fromisoformat(data.get("date", "")).date()
        except ValueError:
            messages.error(request, _("走访日期格式不正确。"))
            return redirect("care:detail", pk=pk)
        needs = [line for line in data.get("needs", "").splitlines() if line.strip()]
        try:
            services.record_visit(
                actor=request.user, profile=profile, date=date, findings=data.get("findings", ""),
                outcome=data.get("outcome", "well"), needs=needs, today=timezone.localdate(),
            )  # fmt: skip
            messages.success(request, _("已记录走访。"))
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        return redirect("care:detail", pk=pk)


class CloseFollowUpView(CareAccessMixin, View):
    def post(self, request, pk):
        item = get_object_or_404(FollowUp.objects.filter(profile__in=visible_profiles(request.user)), pk=pk)
        try:
            services.close_follow_up(
                actor=request.user, item=item, resolution=request.POST.get("resolution", ""), today=timezone.localdate()
            )
            messages.success(request, _("事项已办结。"))
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        return redirect("care:detail", pk=item.profile_id)


class PrintGridView(CareAccessMixin, TemplateView):
    """The vulnerable residents of one grid on A4, for emergencies (S3 四: the same list serves
    emergencies). Full phone numbers only for users who may reveal them; each print is logged."""

    template_name = "care/print.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        grid = get_object_or_404(Grid.objects.restrict(user), pk=kwargs["grid"])
        profiles = (
            CareProfile.objects.restrict(user)
            .filter(grid_id=grid.pk, closed=None)
            .select_related("resident__household", "resident__building__compound", "paired_member")
            .prefetch_related("contacts")
            .order_by("resident__building__code", "resident__household__room")
        )
        full = set(
            Resident.objects.restrict(user, "reveal_phone")
            .filter(pk__in=profiles.values("resident_id"))
            .values_list("pk", flat=True)
        )
        rows = list(profiles)
        if full:
            RevealLog.objects.bulk_create(
                [
                    RevealLog(
                        user=user,
                        resident=p.resident,
                        field="phone",
                        reason=_("打印应急名单"),
                        request_id=getattr(self.request, "id", ""),
                        district_id=p.district_id,
                        street_id=p.street_id,
                        community_id=p.community_id,
                        grid_id=p.grid_id,
                    )
                    for p in rows
                    if p.resident_id in full
                ]
            )
        ctx.update(grid=grid, rows=rows, full=full, printed=timezone.localtime())
        return ctx


class OpenProfileView(CareAccessMixin, TemplateView):
    """建立关爱档案 for a resident in the user's territory (care.change)."""

    template_name = "care/open.html"

    def _resident(self):
        return get_object_or_404(
            Resident.objects.restrict(self.request.user, "change", app="care").select_related("household"),
            pk=self.kwargs["resident"],
        )

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        resident = self._resident()
        existing = CareProfile.objects.filter(resident=resident).first()
        ctx.update(
            resident=resident,
            existing=existing,
            kinds=CareKind.choices,
            risks=RiskLevel.choices,
            members=PartyMember.objects.filter(community_id=resident.community_id).order_by("name")[:500],
            values=self.request.POST or {"risk_level": RiskLevel.KEY},
        )
        return ctx

    def post(self, request, *args, **kwargs):
        resident = self._resident()
        data = request.POST
        member = None
        if data.get("paired_member", "").isdigit():
            member = PartyMember.objects.filter(
                pk=int(data["paired_member"]), community_id=resident.community_id
            ).first()
        try:
            profile = services.open_profile(
                actor=request.user, resident=resident, kind=data.get("kind", ""),
                risk_level=data.get("risk_level", ""), needs=data.get("needs", ""), paired_member=member,
                opened=timezone.localdate(),
            )  # fmt: skip
            if data.get("contact_name", "").strip() and data.get("contact_phone", "").strip():
                services.add_contact(
                    actor=request.user, profile=profile, name=data["contact_name"],
                    relation=data.get("contact_relation", "") or _("亲属"), phone=data["contact_phone"],
                )  # fmt: skip
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
            return self.render_to_response(self.get_context_data(), status=400)
        messages.success(request, _("已建立关爱档案。"))
        return redirect("care:detail", pk=profile.pk)


class AddContactView(CareAccessMixin, View):
    def post(self, request, pk):
        profile = get_object_or_404(visible_profiles(request.user), pk=pk)
        try:
            services.add_contact(
                actor=request.user, profile=profile, name=request.POST.get("name", ""),
                relation=request.POST.get("relation", ""), phone=request.POST.get("phone", ""),
            )  # fmt: skip
            messages.success(request, _("已添加紧急联系人。"))
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        return redirect("care:detail", pk=pk)
