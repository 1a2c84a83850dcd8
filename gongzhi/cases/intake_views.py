"""The ways in (事项一口归集): the grid worker's phone page, the resident portal (report, follow,
rate, reopen), the hotline form of the command centre and the batch entry of a courtyard meeting
(院坝会), with the small endpoints their pages call while the user types (category suggestion,
the grid a location falls in, the grid outlines for the map).

Every case is created by `services.report_case`. A page carries an idempotency key (`client_key`):
a retry after a lost response finds the case the first attempt made instead of making a second.
"""

from __future__ import annotations

import datetime
import logging
import uuid

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from gongzhi.accounts.models import Assignment, User
from gongzhi.accounts.roles import CASES_DISPATCH, CASES_REPORT
from gongzhi.core.exports import XLSX
from gongzhi.core.views import ScopePermissionMixin, paginate
from gongzhi.territory.models import Building, Compound, Grid

from . import classifier, forms, services, workflow
from .choices import Category, Channel, Priority, Satisfaction, State
from .models import Attachment, Case, CaseEvent

log = logging.getLogger(__name__)

# the usual first: 一般, then faster, then 复杂疑难
PRIORITIES = [(p.value, p.label) for p in (Priority.NORMAL, Priority.URGENT, Priority.EMERGENCY, Priority.COMPLEX)]
KEY_WINDOW = datetime.timedelta(days=1)  # how long a client_key finds the case it made
MAX_MAP_FEATURES = 2000
MAX_MAP_BUILDINGS = 400
STEPS = [
    gettext_lazy("上报"),
    gettext_lazy("立案"),
    gettext_lazy("派遣"),
    gettext_lazy("处理"),
    gettext_lazy("核实"),
    gettext_lazy("评价"),
]
# how many of STEPS a case in each state has completed
STEPS_DONE = {
    State.REPORTED: 1,
    State.REGISTERED: 2,
    State.RETURNED: 2,
    State.DISPATCHED: 3,
    State.ACCEPTED: 3,
    State.PLANNED: 3,
    State.SUSPENDED: 3,
    State.HANDLED: 4,
    State.VERIFIED: 5,
    State.CLOSED: 6,
    State.REJECTED: 1,
    State.MERGED: 1,
}
# the timeline a reporter sees: public events of these kinds only (whistles, reminders and the
# like are the offices' business even when recorded as public)
RESIDENT_ACTIONS = {"report", "comment", *workflow.MOVES}


def _now() -> datetime.datetime:
    return timezone.now()


def wants_json(request) -> bool:
    """The page's script submits with fetch and asks for JSON (errors by field, or where to go)."""
    return request.headers.get("X-Requested-With") == "fetch"


def _client_key(value) -> str:
    try:
        return str(uuid.UUID(str(value or "").strip()))
    except ValueError:
        return ""


def _lock_reporter(user) -> None:
    """Serialise one user's reports, so two copies of one submission cannot both miss each other."""
    list(User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True))


def reported_with_key(user, key: str, now) -> list[Case]:
    """The cases this user reported with this page key within the last day (oldest first)."""
    if not key:
        return []
    events = CaseEvent.objects.filter(
        action="report", actor=user, data__client_key=key, time__gte=now - KEY_WINDOW
    ).select_related("case")
    return [e.case for e in events.order_by("pk")]


def service_errors(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {("form" if k == "__all__" else k): [str(m) for m in v] for k, v in exc.message_dict.items()}
    return {"form": [str(m) for m in exc.messages]}


def may_report(user) -> bool:
    return user.has_scope_perm(CASES_REPORT)


def report_buildings(user):
    return Building.objects.restrict(user, "report", app="cases")


def report_grids(user):
    return Grid.objects.restrict(user, "report", app="cases")


def neighbourhood_grids(user):
    """The grids of the communities a user without a reporting role lives or works in (their map)."""
    communities = set()
    for a in Assignment.objects.filter(user=user).select_related("grid", "building"):
        if a.community_id:
            communities.add(a.community_id)
        elif a.grid_id:
            communities.add(a.grid.community_id)
        elif a.building_id:
            communities.add(a.building.community_id)
    return Grid.objects.filter(community_id__in=communities)


# -- what the pages call while the user types -----------------------------------------------------


class SuggestView(LoginRequiredMixin, View):
    """The top-3 categories the classifier suggests for the text typed so far (htmx partial)."""

    def get(self, request):
        user = request.user
        if not (user.has_scope_perm(CASES_REPORT) or user.has_scope_perm(CASES_DISPATCH)):
            raise PermissionDenied
        text = (request.GET.get("text") or request.GET.get("description") or "").strip()[: services.MAX_DESCRIPTION]
        rows, failed = [], False
        if len(text) >= 4:
            try:
                found = classifier.suggest(text, k=3)
            except Exception:  # the suggestion is a help, never a reason for the page to fail
                log.exception("category suggestion failed")
                found, failed = [], True
            for item in found[:3]:
                code = item["category"]
                if code in Category.values:
                    score = float(item.get("score", 0))
                    rows.append({"category": code, "label": Category(code).label, "percent": round(score * 100)})
        return render(request, "cases/intake/_suggest.html", {"rows": rows, "short": len(text) < 4, "failed": failed})


class LocateView(LoginRequiredMixin, View):
    """Which grid (and building) the location typed or tapped so far resolves to (htmx partial)."""

    def get(self, request):
        user, params = request.user, request.GET
        lon, lat = params.get("lon", "").strip(), params.get("lat", "").strip()
        address = params.get("address", "").strip()[:200]
        building = None
        if params.get("building", "").isdigit() and may_report(user):
            building = report_buildings(user).filter(pk=int(params["building"])).first()
        ctx: dict = {"place": None, "error": "", "outside": False}
        if not (lon or lat or address or building):
            return render(request, "cases/intake/_grid.html", ctx)
        try:
            place = services.locate(lon=lon or None, lat=lat or None, address=address, building=building)
        except ValidationError as exc:
            ctx["error"] = "；".join(service_errors(exc).get("location", exc.messages))
        else:
            ctx["place"] = place
            staff = params.get("channel") in (Channel.GRID_APP, Channel.HOTLINE, Channel.COURTYARD)
            ctx["outside"] = staff and not services.may_report(user, place, Channel.GRID_APP)
        return render(request, "cases/intake/_grid.html", ctx)


class IntakeGridsView(LoginRequiredMixin, View):
    """GeoJSON of the grids a user reports in (a resident: the grids around them), with their
    buildings when few, so the map shows boundaries without any base map."""

    def get(self, request):
        user = request.user
        staff = may_report(user)
        grids = report_grids(user) if staff else neighbourhood_grids(user)
        rows = list(grids.exclude(geometry=None).order_by("code").values("id", "name", "geometry")[:MAX_MAP_FEATURES])
        features = [
            {"type": "Feature", "geometry": r.pop("geometry"), "properties": {**r, "kind": "grid"}} for r in rows
        ]
        if staff:
            buildings = report_buildings(user).select_related("compound").order_by("code")
            listed = list(buildings[: MAX_MAP_BUILDINGS + 1])
            if len(listed) <= MAX_MAP_BUILDINGS:
                features += [
                    {
                        "type": "Feature",
                        "geometry": {"type": "Point", "coordinates": [b.lon, b.lat]},
                        "properties": {"id": b.pk, "name": f"{b.compound.name}{b.name}", "kind": "building"},
                    }
                    for b in listed
                ]
        return JsonResponse({"type": "FeatureCollection", "features": features})


# -- reporting one matter (grid worker, resident, hotline) ------------------------------------------


class ReportPage(View):
    """A page that reports one matter. Subclasses say which form, channel and template."""

    template_name = ""
    form_class: type[forms.LocatedForm] = forms.ReportForm
    channel = Channel.GRID_APP
    photos = True

    def form_kwargs(self) -> dict:
        return {"buildings": report_buildings(self.request.user)}

    def report_kwargs(self, form) -> dict:
        data = form.cleaned_data
        return {
            "description": data["description"],
            "priority": data.get("priority") or Priority.NORMAL,
            "category": data.get("category", ""),
            "reporter_name": data.get("reporter_name", ""),
            "reporter_phone": data.get("reporter_phone", ""),
        }

    def context(self, form, errors=None, **extra) -> dict:
        user = self.request.user
        ctx = {
            "form": form,
            "errors": errors or {},
            "channel": self.channel,
            "priorities": PRIORITIES,
            "categories": Category.choices,
            "client_key": _client_key(form["client_key"].value()) or str(uuid.uuid4()),
        }
        chosen = form["category"].value() if "category" in form.fields else ""
        ctx["category_label"] = Category(chosen).label if chosen in Category.values else ""
        if "building" in form.fields and may_report(user):
            ctx["building_options"] = forms.buildings_for(report_buildings(user))
        ctx.update(extra)
        return ctx

    def get(self, request, *args, **kwargs):
        form = self.form_class(initial={"priority": Priority.NORMAL}, **self.form_kwargs())
        return render(request, self.template_name, self.context(form))

    def post(self, request, *args, **kwargs):
        user, now = request.user, _now()
        key = _client_key(request.POST.get("client_key"))
        found = reported_with_key(user, key, now)
        if found:
            return self.done(found[0], again=True)
        form = self.form_class(request.POST, **self.form_kwargs())
        photos = request.FILES.getlist("photos") if self.photos else []
        errors: dict[str, list[str]] = {}
        if form.is_valid():
            data = {"client_key": key} if key else {}
            if form.cleaned_data.get("accuracy") and form.cleaned_data["point"]:
                data["accuracy_m"] = form.cleaned_data["accuracy"]
            try:
                with transaction.atomic():
                    _lock_reporter(user)
                    found = reported_with_key(user, key, now)
                    if found:
                        return self.done(found[0], again=True)
                    case = services.report_case(
                        actor=user,
                        channel=self.channel,
                        now=now,
                        photos=photos,
                        data=data,
                        **form.location_kwargs(),
                        **self.report_kwargs(form),
                    )
            except ValidationError as exc:
                errors = service_errors(exc)
            else:
                return self.done(case)
        else:
            errors = form.field_errors()
        if wants_json(request):
            return JsonResponse({"ok": False, "errors": errors}, status=400)
        if photos:
            errors.setdefault("photos", []).append(
                _("出于安全原因，浏览器不会保留已选的照片：请重新选择照片后再提交。")
            )
        return render(request, self.template_name, self.context(form, errors), status=400)

    def done(self, case: Case, again: bool = False):
        if again:
            messages.info(self.request, _("该事项已上报，案卷号 %(number)s（未重复提交）。") % {"number": case.number})
        else:
            messages.success(self.request, self.success_message(case))
        url = self.success_url(case)
        if wants_json(self.request):
            return JsonResponse({"ok": True, "redirect": url, "number": case.number, "again": again})
        return redirect(url)

    def success_message(self, case: Case) -> str:
        return _("已上报，案卷号 %(number)s") % {"number": case.number}

    def success_url(self, case: Case) -> str:
        if services.visible_cases(self.request.user).filter(pk=case.pk).exists():
            return reverse("cases:detail", args=[case.pk])
        return reverse("cases:report")


class ReportView(ScopePermissionMixin, ReportPage):
    """The grid worker's phone page (网格员上报)."""

    permission = CASES_REPORT
    template_name = "cases/intake/report.html"


class HotlineView(ScopePermissionMixin, ReportPage):
    """The command centre's form for a call (热线来电登记)."""

    permission = CASES_DISPATCH
    template_name = "cases/intake/hotline.html"
    form_class = forms.HotlineForm
    channel = Channel.HOTLINE
    photos = False

    def context(self, form, errors=None, **extra) -> dict:
        ctx = super().context(form, errors, **extra)
        saved = self.request.GET.get("saved", "")
        if saved.isdigit() and not form.is_bound:
            ctx["saved"] = services.visible_cases(self.request.user).filter(pk=int(saved)).first()
        return ctx

    def success_message(self, case: Case) -> str:
        return _("已录入，案卷号 %(number)s") % {"number": case.number}

    def success_url(self, case: Case) -> str:
        return f"{reverse('cases:hotline')}?saved={case.pk}"


# -- the resident portal ---------------------------------------------------------------------------


def progress(case: Case) -> dict:
    """The reporter's progress bar: the six steps, how many are done, and whether it stopped."""
    done = STEPS_DONE.get(case.state, 1)
    stopped = case.state in (State.REJECTED, State.MERGED)
    steps = [{"label": label, "done": i < done, "current": i == done and not stopped} for i, label in enumerate(STEPS)]
    return {"steps": steps, "done": done, "stopped": stopped, "percent": round(done * 100 / len(STEPS))}


def own_cases(user):
    return Case.objects.filter(reporter_user=user)


class PortalView(LoginRequiredMixin, ReportPage):
    """我要反映 and 我的反映: a resident reports, and follows their own matters."""

    template_name = "cases/intake/portal.html"
    form_class = forms.ResidentReportForm
    channel = Channel.RESIDENT

    def form_kwargs(self) -> dict:
        return {}

    def report_kwargs(self, form) -> dict:
        user = self.request.user
        return {
            "description": form.cleaned_data["description"],
            "reporter_user": user,
            "reporter_name": (user.get_full_name() or user.get_username())[:50],
            "reporter_phone": form.cleaned_data.get("reporter_phone", ""),
        }

    def context(self, form, errors=None, **extra) -> dict:
        ctx = super().context(form, errors, **extra)
        page = paginate(self.request, own_cases(self.request.user).order_by("-reported_at", "-pk"), per_page=20)
        ctx.update(page=page, rows=[(c, progress(c)) for c in page], open_form=bool(errors) or not page.object_list)
        return ctx

    def success_message(self, case: Case) -> str:
        return _("已提交，案卷号 %(number)s。我们会尽快处理，并在这里告诉您每一步进展。") % {"number": case.number}

    def success_url(self, case: Case) -> str:
        return reverse("cases:portal-case", args=[case.pk])


def timeline(case: Case):
    """The public events of a case a reporter may see, with their photos."""
    events = (
        case.events.filter(public=True, action__in=RESIDENT_ACTIONS)
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("pk")))
        .order_by("time", "pk")
    )
    replies = {"comment": _("回复")}  # what a staff comment is, to the reporter
    rows = []
    for e in events:
        detail = ""
        if e.action in ("dispatch", "reopen") and e.data.get("body_name"):
            detail = _("交由 %(body)s 办理") % {"body": e.data["body_name"]}
        elif e.action == "rate" and e.data.get("satisfaction") in Satisfaction.values:
            detail = str(Satisfaction(e.data["satisfaction"]).label)
        mine = e.actor_id is not None and e.actor_id == case.reporter_user_id
        rows.append(
            {
                "event": e,
                "label": replies.get(e.action) or workflow.event_label(e.action),
                "detail": detail,
                "mine": mine,
            }
        )
    return rows


def reporter_context(case: Case, now, *, rating=None, reopen=None) -> dict:
    """What a reporter sees of their case (the portal page and the SMS link page): where it is,
    its public timeline, and the rating or reopening it allows now."""
    window_end = case.closed_at + services.reopen_window() if case.closed_at else None
    return {
        "case": case,
        "progress": progress(case),
        "timeline": timeline(case),
        "rating": rating or forms.RatingForm(initial={"version": case.version}),
        "reopen": reopen or forms.ReopenForm(initial={"version": case.version}),
        "can_rate": case.state == State.VERIFIED,
        "can_reopen": case.state == State.CLOSED and case.body_id is not None and window_end is not None
        and now <= window_end,
        "reopen_until": window_end,
        "reopen_days": services.reopen_window().days,
        "satisfactions": Satisfaction.choices,
    }  # fmt: skip


class PortalCaseView(LoginRequiredMixin, View):
    """One of the resident's own matters: where it is, its public timeline, rating and reopening."""

    template_name = "cases/intake/portal_case.html"

    def case(self, pk) -> Case:
        return get_object_or_404(own_cases(self.request.user).select_related("grid"), pk=pk)

    def render_page(self, case, *, rating=None, reopen=None, status=200):
        ctx = reporter_context(case, _now(), rating=rating, reopen=reopen)
        ctx.update(rate_action=reverse("cases:portal-rate", args=[case.pk]),
                   reopen_action=reverse("cases:portal-reopen", args=[case.pk]), photos=True)  # fmt: skip
        return render(self.request, self.template_name, ctx, status=status)

    def get(self, request, pk):
        return self.render_page(self.case(pk))


def submit_reporter_form(request, case: Case, actor, action: str):
    """Rate ("rate") or reopen ("reopen") a case for its reporter from the posted form.
    Returns (the bound form, whether it was done); on refusal the form carries the errors."""
    form = forms.RatingForm(request.POST) if action == "rate" else forms.ReopenForm(request.POST)
    if not form.is_valid():
        return form, False
    data = form.cleaned_data
    try:
        if action == "rate":
            services.rate_case(case, actor=actor, now=_now(), solved=data["solved"], satisfaction=data["satisfaction"],
                               comment=data["comment"], version=data["version"])  # fmt: skip
        else:
            services.reopen_case(case, actor=actor, now=_now(), note=data["note"], version=data["version"])
    except ValidationError as exc:
        for field, msgs in service_errors(exc).items():
            form.add_error(field if field in form.fields else None, msgs)
        return form, False
    messages.success(
        request, _("感谢您的评价，事项已办结。") if action == "rate" else _("已重新交办，我们会尽快处理。")
    )
    return form, True


class PortalRateView(PortalCaseView):
    def post(self, request, pk):
        case = self.case(pk)
        form, done = submit_reporter_form(request, case, request.user, "rate")
        if done:
            return redirect("cases:portal-case", pk=case.pk)
        return self.render_page(case, rating=form, status=400)


class PortalReopenView(PortalCaseView):
    def post(self, request, pk):
        case = self.case(pk)
        form, done = submit_reporter_form(request, case, request.user, "reopen")
        if done:
            return redirect("cases:portal-case", pk=case.pk)
        return self.render_page(case, reopen=form, status=400)


class PortalFileView(LoginRequiredMixin, View):
    """A photo of a public event of the resident's own case."""

    def get(self, request, pk, file_pk):
        attachment = get_object_or_404(
            Attachment.objects.filter(
                case__reporter_user=request.user, case_id=pk, event__public=True, event__action__in=RESIDENT_ACTIONS
            ),
            pk=file_pk,
        )
        try:
            handle = attachment.file.open("rb")
        except FileNotFoundError:
            raise Http404 from None
        return FileResponse(handle, content_type=attachment.content_type)


# -- the courtyard meeting (院坝会) -----------------------------------------------------------------


class CourtyardView(ScopePermissionMixin, View):
    """Every matter raised at one courtyard meeting, typed as rows or uploaded as a workbook, saved
    in one transaction: all of them, or — when any row is wrong — none, with each row's error."""

    permission = CASES_REPORT
    template_name = "cases/intake/courtyard.html"

    def meeting_form(self, data=None):
        user = self.request.user
        today = timezone.localdate()
        grids = report_grids(user).order_by("code")
        initial = {"date": today}
        if data is None and grids[:2].count() == 1:
            initial["grid"] = grids.first()
        return forms.MeetingForm(
            data,
            initial=initial,
            grids=grids,
            compounds=Compound.objects.restrict(user, "report", app="cases").order_by("code"),
            today=today,
        )

    def context(self, meeting, rows, **extra) -> dict:
        user = self.request.user
        grids = meeting.fields["grid"].queryset
        addresses: dict[int, list[str]] = {}
        buildings = report_buildings(user).select_related("compound").order_by("code")
        if buildings[: MAX_MAP_BUILDINGS * 5 + 1].count() <= MAX_MAP_BUILDINGS * 5:
            for b in buildings:
                addresses.setdefault(b.grid_id, []).append(f"{b.compound.name}{b.name}")
        ctx = {
            "meeting": meeting,
            "rows": rows,
            "grids": grids,
            "compounds": meeting.fields["compound"].queryset.select_related("grid"),
            "priorities": PRIORITIES,
            "client_key": _client_key(meeting["client_key"].value()) or str(uuid.uuid4()),
            "max_rows": forms.MAX_ROWS,
            "addresses": addresses,
            "row_numbers": [],
        }
        ctx.update(extra)
        ctx["row_forms"] = list(zip(rows.forms, ctx["row_numbers"] or [None] * len(rows.forms), strict=False))
        batch = self.request.GET.get("batch", "")
        if batch and not meeting.is_bound:
            ctx["batch"] = reported_with_key(user, _client_key(batch), _now())
        return ctx

    def get(self, request):
        ctx = self.context(self.meeting_form(), forms.MatterFormSet(prefix="rows"))
        return render(request, self.template_name, ctx)

    def post(self, request):
        user, now = request.user, _now()
        key = _client_key(request.POST.get("client_key"))
        if reported_with_key(user, key, now):
            return redirect(f"{reverse('cases:courtyard')}?batch={key}")
        meeting = self.meeting_form(request.POST)
        row_numbers: list[int] = []
        file_error = ""
        if request.POST.get("action") == "upload":
            upload = request.FILES.get("file")
            try:
                if upload is None:
                    raise ValidationError(_("请选择要上传的 Excel 文件。"))
                read = forms.read_matter_rows(upload)
            except ValidationError as exc:
                file_error = "；".join(exc.messages)
                rows = forms.MatterFormSet(request.POST, prefix="rows")
            else:
                row_numbers = [number for number, _row in read]
                rows = forms.MatterFormSet(forms.formset_data([row for _n, row in read]), prefix="rows")
        else:
            rows = forms.MatterFormSet(request.POST, prefix="rows")
        meeting_ok, rows_ok = meeting.is_valid(), rows.is_valid()
        if file_error:
            return self.invalid(meeting, rows, row_numbers, file_error)
        if meeting_ok and rows_ok:
            filled = forms.filled_rows(rows)
            grid = meeting.cleaned_data["grid"]
            compound = meeting.cleaned_data.get("compound")
            addresses = self.check_addresses(filled, grid, compound)
            if not any(form.errors for _i, form in filled):
                created = self.write(filled, addresses, meeting, key, now)
                if created is not None:
                    messages.success(request, _("已录入 %(n)s 件事项。") % {"n": len(created)})
                    return redirect(f"{reverse('cases:courtyard')}?batch={key}")
        return self.invalid(meeting, rows, row_numbers)

    def check_addresses(self, filled, grid, compound) -> dict[int, str]:
        """Each row's address as the case gets it; an address in another grid is the row's error."""
        addresses = {}
        for i, form in filled:
            address = form.cleaned_data.get("address", "")
            if compound is not None and compound.name not in address:
                address = f"{compound.name}{address}"
            found = services.resolve_address(address) if address else None
            if found is not None and found.grid.pk != grid.pk:
                form.add_error(
                    "address",
                    _("“%(address)s”属于%(grid)s，不在本次院坝会的网格内。")
                    % {"address": form.cleaned_data["address"] or address, "grid": found.grid.name},
                )
            addresses[i] = address
        return addresses

    def write(self, filled, addresses, meeting, key, now) -> list[Case] | None:
        """All rows in one transaction; None (and nothing written) when any row is refused."""
        user = self.request.user
        data = {"meeting": meeting.meeting_data(), **({"client_key": key} if key else {})}
        created, failed = [], False
        with transaction.atomic():
            _lock_reporter(user)
            found = reported_with_key(user, key, now)
            if found:  # the same meeting sent twice at once (a double click): the first one stands
                return found
            for i, form in filled:
                row = form.cleaned_data
                try:
                    case = services.report_case(
                        actor=user,
                        channel=Channel.COURTYARD,
                        now=now,
                        description=row["description"],
                        grid=meeting.cleaned_data["grid"],
                        address=addresses[i],
                        reporter_name=row.get("reporter_name", ""),
                        reporter_phone=row.get("reporter_phone", ""),
                        priority=row["priority"],
                        data={**data, "row": i + 1},
                    )
                except ValidationError as exc:
                    failed = True
                    for field, msgs in service_errors(exc).items():
                        form.add_error(field if field in form.fields else None, msgs)
                else:
                    created.append(case)
            if failed:
                transaction.set_rollback(True)
                return None
        return created

    def invalid(self, meeting, rows, row_numbers, file_error=""):
        ctx = self.context(meeting, rows, row_numbers=row_numbers, file_error=file_error)
        return render(self.request, self.template_name, ctx, status=400)


class CourtyardTemplateView(ScopePermissionMixin, View):
    """The Excel template of a meeting's matters."""

    permission = CASES_REPORT

    def get(self, request):
        response = HttpResponse(forms.template_workbook(), content_type=XLSX)
        response["Content-Disposition"] = 'attachment; filename="courtyard-matters-template.xlsx"'
        return response


urlpatterns: list = [
    path("report/", ReportView.as_view(), name="report"),
    path("hotline/", HotlineView.as_view(), name="hotline"),
    path("courtyard/", CourtyardView.as_view(), name="courtyard"),
    path("courtyard/template.xlsx", CourtyardTemplateView.as_view(), name="courtyard-template"),
    path("mine/", PortalView.as_view(), name="portal"),
    path("mine/<int:pk>/", PortalCaseView.as_view(), name="portal-case"),
    path("mine/<int:pk>/rate/", PortalRateView.as_view(), name="portal-rate"),
    path("mine/<int:pk>/reopen/", PortalReopenView.as_view(), name="portal-reopen"),
    path("mine/<int:pk>/files/<int:file_pk>/", PortalFileView.as_view(), name="portal-file"),
    path("suggest/", SuggestView.as_view(), name="suggest"),
    path("locate/", LocateView.as_view(), name="locate"),
    path("intake/grids/", IntakeGridsView.as_view(), name="intake-grids"),
]
