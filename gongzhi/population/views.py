"""Population pages: residents and households (masked), reveal with a reason, the reveal log."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from gongzhi.accounts.roles import AUDIT_VIEW, POPULATION_CHANGE, POPULATION_VIEW
from gongzhi.core.exports import wants_export, xlsx_response
from gongzhi.core.views import ScopePermissionMixin, paginate, scoped_get, style_form
from gongzhi.territory.models import Community, Grid

from . import exports, services
from .choices import HEALTH_TAGS, RevealField
from .filtersets import HouseholdFilterSet, ResidentFilterSet, RevealLogFilterSet
from .forms import ResidentForm, RevealForm
from .models import Household, Resident, ResidentTagLink, RevealLog

RESIDENT_RELATED = ["household", "building__compound", "grid", "community"]


def health_visible_ids(user, ids) -> set[int]:
    """Of these residents, the ones whose health/disability labels this user may see."""
    return set(Resident.objects.restrict(user, "view_health").filter(pk__in=ids).values_list("pk", flat=True))


def set_sizes(households) -> None:
    """Number of residents of each household on a page (one grouped query, not a count per row)."""
    sizes = dict(
        Resident.objects.filter(household_id__in=[h.pk for h in households])
        .order_by()
        .values_list("household_id")
        .annotate(n=Count("pk"))
    )
    for h in households:
        h.size = sizes.get(h.pk, 0)


def visible_tags(resident: Resident, may_see_health: bool) -> list[ResidentTagLink]:
    return [t for t in resident.tag_links.all() if may_see_health or t.tag not in HEALTH_TAGS]


def scope_choices(filterset, user) -> None:
    """Offer only the communities and grids the user may see in the filter form."""
    form = filterset.form
    if "community" in form.fields:
        form.fields["community"].queryset = Community.objects.restrict(user).order_by("code")
    if "grid" in form.fields:
        form.fields["grid"].queryset = Grid.objects.restrict(user).order_by("code")
    for name in ("building", "household"):
        form.fields.pop(name, None)
    style_form(form)


class ResidentListView(ScopePermissionMixin, TemplateView):
    permission = POPULATION_VIEW
    template_name = "population/resident_list.html"

    def get(self, request, *args, **kwargs):
        if wants_export(request):
            filterset = ResidentFilterSet(request.GET, queryset=Resident.objects.restrict(request.user))
            return exports.residents_workbook(filterset.qs, request.user)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        base = Resident.objects.restrict(user).select_related(*RESIDENT_RELATED)
        base = base.prefetch_related(Prefetch("tag_links", queryset=ResidentTagLink.objects.order_by("tag")))
        filterset = ResidentFilterSet(self.request.GET, queryset=base)
        scope_choices(filterset, user)
        page = paginate(self.request, filterset.qs.order_by("pk"))  # the pk index: no sort of the whole scope
        health = health_visible_ids(user, [r.pk for r in page])
        rows = [{"resident": r, "tags": visible_tags(r, r.pk in health)} for r in page]
        ctx.update(filterset=filterset, page=page, rows=rows, can_change=user.has_scope_perm(POPULATION_CHANGE))
        return ctx


class ResidentDetailView(ScopePermissionMixin, TemplateView):
    permission = POPULATION_VIEW
    template_name = "population/resident_detail.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        resident = scoped_get(
            Resident, user, queryset=Resident.objects.select_related(*RESIDENT_RELATED), pk=kwargs["pk"]
        )
        may_health = bool(health_visible_ids(user, [resident.pk]))
        members = resident.household.residents.exclude(pk=resident.pk).order_by("pk")
        ctx.update(
            resident=resident,
            tags=visible_tags(resident, may_health),
            members=members,
            reveal_fields=[
                (
                    f,
                    RevealField(f).label,
                    Resident.objects.restrict(user, services.REVEAL_PERMISSION[f]).filter(pk=resident.pk).exists(),
                )
                for f in (RevealField.ID_NUMBER, RevealField.PHONE)
            ],
            form=RevealForm(),
            can_change=Resident.objects.restrict(user, "change").filter(pk=resident.pk).exists(),
            care_profile=getattr(resident, "care_profile", None),
            can_open_care=Resident.objects.restrict(user, "change", app="care").filter(pk=resident.pk).exists(),
        )
        return ctx


class RevealView(ScopePermissionMixin, View):
    """POST field + reason → the full value (htmx partial), logged. 404 out of scope, 403 without the right."""

    permission = POPULATION_VIEW

    def post(self, request, pk):
        resident = scoped_get(Resident, request.user, pk=pk)
        form = RevealForm(request.POST)
        context = {"resident": resident, "field": request.POST.get("field", "")}
        if form.is_valid():
            try:
                context["value"] = services.reveal(
                    actor=request.user,
                    resident=resident,
                    field=form.cleaned_data["field"],
                    reason=form.cleaned_data["reason"],
                )
                context["field_label"] = RevealField(form.cleaned_data["field"]).label
            except PermissionDenied as exc:
                context["error"] = str(exc)
                return render(request, "population/_revealed.html", context, status=403)
            except ValidationError as exc:
                context["error"] = "；".join(exc.messages)
        else:
            context["error"] = "；".join(e for errors in form.errors.values() for e in errors)
        status = 200 if "value" in context else 400
        return render(request, "population/_revealed.html", context, status=status)


class ResidentFormView(ScopePermissionMixin, TemplateView):
    """Register a resident in a household, or change one."""

    permission = POPULATION_CHANGE
    template_name = "population/resident_form.html"

    def _objects(self, kwargs):
        user = self.request.user
        if "pk" in kwargs:
            resident = scoped_get(Resident, user, "change", pk=kwargs["pk"])
            return resident, resident.household
        return None, scoped_get(Household, user, "change", pk=kwargs["household"])

    def get(self, request, *args, **kwargs):
        resident, household = self._objects(kwargs)
        form = ResidentForm(instance=resident)
        return self.render_to_response({"form": form, "resident": resident, "household": household})

    def post(self, request, *args, **kwargs):
        resident, household = self._objects(kwargs)
        form = ResidentForm(request.POST, instance=resident)
        if form.is_valid():
            data = form.service_data()
            try:
                if resident is None:
                    resident = services.create_resident(actor=request.user, household=household, **data)
                    messages.success(request, _("已登记居民 %(name)s。") % {"name": resident.name})
                else:
                    resident = services.update_resident(resident, actor=request.user, **data)
                    messages.success(request, _("已保存。"))
                return redirect("population:resident", pk=resident.pk)
            except ValidationError as exc:
                form.add_service_errors(exc)
        return self.render_to_response({"form": form, "resident": resident, "household": household}, status=400)


class HouseholdListView(ScopePermissionMixin, TemplateView):
    permission = POPULATION_VIEW
    template_name = "population/household_list.html"

    def get(self, request, *args, **kwargs):
        if wants_export(request):
            base = Household.objects.restrict(request.user).annotate(size=Count("residents"))
            return exports.households_workbook(HouseholdFilterSet(request.GET, queryset=base).qs)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        base = Household.objects.restrict(user).select_related("building__compound", "grid")
        filterset = HouseholdFilterSet(self.request.GET, queryset=base.prefetch_related("tag_links"))
        scope_choices(filterset, user)
        page = paginate(self.request, filterset.qs.order_by("pk"))
        set_sizes(page)
        ctx.update(filterset=filterset, page=page)
        return ctx


class HouseholdDetailView(ScopePermissionMixin, TemplateView):
    permission = POPULATION_VIEW
    template_name = "population/household_detail.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        household = scoped_get(
            Household,
            user,
            queryset=Household.objects.select_related("building__compound", "grid", "community"),
            pk=kwargs["pk"],
        )
        residents = list(household.residents.prefetch_related("tag_links").order_by("pk"))
        health = health_visible_ids(user, [r.pk for r in residents])
        ctx.update(
            household=household,
            rows=[{"resident": r, "tags": visible_tags(r, r.pk in health)} for r in residents],
            can_change=Household.objects.restrict(user, "change").filter(pk=household.pk).exists(),
        )
        return ctx


class RevealLogView(ScopePermissionMixin, TemplateView):
    permission = AUDIT_VIEW
    template_name = "population/reveal_list.html"

    def get(self, request, *args, **kwargs):
        if wants_export(request):
            base = RevealLog.objects.restrict(request.user).select_related("user", "resident")
            tz = timezone.get_current_timezone()
            rows = (
                [
                    r.time.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"),
                    str(r.user),
                    r.resident.name,
                    r.get_field_display(),
                    r.reason,
                ]
                for r in RevealLogFilterSet(request.GET, queryset=base).qs.iterator(chunk_size=2000)
            )
            headers = [_("时间"), _("查看人"), _("居民"), _("查看内容"), _("查看事由")]
            return xlsx_response(_("敏感信息查看记录"), headers, rows, stem="reveals")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        base = RevealLog.objects.restrict(self.request.user).select_related("user", "resident")
        filterset = RevealLogFilterSet(self.request.GET, queryset=base)
        filterset.form.fields.pop("resident", None)
        style_form(filterset.form)
        ctx.update(filterset=filterset, page=paginate(self.request, filterset.qs))
        return ctx
