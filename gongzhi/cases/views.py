"""The case desk (办件台): what the command centre's dispatchers, community workers, handling-body
staff and grid workers use every day — the list with its work queues, a case with its timeline,
clocks and moves, the whistle (吹哨报到), the photos of a case, and the user's messages.

Reads start from `services.visible_cases(user)`; every write goes through `services`. A form that
fails (bad input, an illegal move, a case changed by someone else) is shown again with what the
user typed and the message; the moves answer htmx requests with the form alone (409 on a conflict).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Exists, F, OuterRef, Q
from django.http import FileResponse, Http404, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from gongzhi.core.exports import wants_export, xlsx_response
from gongzhi.core.views import paginate

from . import notify, routing, services, sla, workflow
from .choices import (
    TIER_ORDER,
    Category,
    Channel,
    Priority,
    Satisfaction,
    SlaPhase,
    SlaState,
    State,
    Tier,
    WhistleReason,
)
from .filtersets import NUMBER, CaseFilterSet
from .models import OPEN_STATES, Attachment, Case, CaseEvent, HandlingBody, Notification, Summons, Whistle
from .workflow import Actor

CASES_VIEW = "cases.view"
CASES_DISPATCH = "cases.dispatch"
CASES_VERIFY = "cases.verify"
CASES_WHISTLE = "cases.whistle"

# -- who may use the desk ---------------------------------------------------------------------------


class DeskAccessMixin:
    """Anonymous → login; signed in but neither staff, handler nor reporter → 403."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not services.desk_allowed(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class SignedInMixin:
    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return super().dispatch(request, *args, **kwargs)


# -- the list ---------------------------------------------------------------------------------------

WAITING_DISPATCH = [State.REPORTED, State.REGISTERED, State.RETURNED]
IN_HAND = [State.DISPATCHED, State.ACCEPTED, State.PLANNED]


@dataclass(frozen=True)
class Tab:
    key: str
    label: Any


TABS = {
    "todo": Tab("todo", gettext_lazy("待派遣")),
    "mine": Tab("mine", gettext_lazy("我的派单")),
    "verify": Tab("verify", gettext_lazy("待核实")),
    "overdue": Tab("overdue", gettext_lazy("已超时")),
    "all": Tab("all", gettext_lazy("全部")),
}


def tabs_for(user) -> list[str]:
    """The work queues a user has, in the order they are shown; the first is the default."""
    keys = []
    if user.has_scope_perm(CASES_DISPATCH):
        keys.append("todo")
    if services.body_ids(user):
        keys.append("mine")
    if user.has_scope_perm(CASES_VERIFY):
        keys.append("verify")
    if user.has_scope_perm(CASES_VIEW) or services.body_ids(user):
        keys.append("overdue")
    keys.append("all")
    return keys


def tab_q(key: str, user, now) -> Q:
    if key == "todo":
        return Q(state__in=WAITING_DISPATCH)
    if key == "mine":
        return Q(body_id__in=sorted(services.body_ids(user)), state__in=IN_HAND)
    if key == "verify":
        return Q(state=State.HANDLED)
    if key == "overdue":
        return services.overdue_q(now)
    return Q()


@dataclass
class Row:
    case: Case
    sla: str
    due: datetime.datetime | None
    phase: str

    @property
    def sla_label(self):
        return SlaState(self.sla).label

    @property
    def phase_label(self):
        return SlaPhase(self.phase).label if self.phase else ""


def rows_for(cases, now) -> list[Row]:
    rows = []
    for case in cases:
        phase, due = services.phase_due(case)
        rows.append(Row(case, services.sla_state(case, now), due, phase))
    return rows


class CaseListView(DeskAccessMixin, TemplateView):
    template_name = "cases/list.html"

    def get(self, request, *args, **kwargs):
        if wants_export(request):
            return self.export()
        return super().get(request, *args, **kwargs)

    def get_template_names(self):
        if self.request.htmx and self.request.htmx.target == "case-desk-table":
            return ["cases/_desk_table.html"]
        return [self.template_name]

    def current_tab(self, keys: list[str]) -> str:
        asked = self.request.GET.get("tab", "")
        return asked if asked in keys else keys[0]

    def filtered(self, now):
        user = self.request.user
        keys = tabs_for(user)
        tab = self.current_tab(keys)
        base = services.visible_cases(user)
        filterset = CaseFilterSet(self.request.GET, queryset=base.filter(tab_q(tab, user, now)))
        return keys, tab, base, filterset

    def export(self):
        now = timezone.now()
        _keys, _tab, _base, filterset = self.filtered(now)
        qs = filterset.qs.select_related("grid", "community", "body").order_by("-reported_at", "-pk")
        headers = [
            _("案卷号"), _("事项类别"), _("紧急程度"), _("状态"), _("时限状态"), _("当前时限"), _("来源渠道"),
            _("事项描述"), _("地址"), _("社区"), _("网格"), _("处理主体"), _("责任层级"), _("反映人"),
            _("反映人电话"), _("上报时间"), _("结案时间"), _("满意度"),
        ]  # fmt: skip

        def local(value):
            return timezone.localtime(value).replace(tzinfo=None) if value else None

        def lines():
            for case in qs.iterator(chunk_size=2000):
                _phase, due = services.phase_due(case)
                yield [
                    case.number,
                    case.get_category_display(),
                    case.get_priority_display(),
                    case.get_state_display(),
                    str(SlaState(services.sla_state(case, now)).label),
                    local(due),
                    case.get_channel_display(),
                    case.description,
                    case.address,
                    case.community.name,
                    case.grid.name,
                    case.body.name if case.body_id else "",
                    case.get_tier_display(),
                    case.reporter_name,
                    case.reporter_phone_masked,
                    local(case.reported_at),
                    local(case.closed_at),
                    case.get_satisfaction_display(),
                ]

        return xlsx_response(_("民情事项台账"), headers, lines(), stem="cases")

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user, now = self.request.user, timezone.now()
        keys, tab, base, filterset = self.filtered(now)
        qs = filterset.qs.select_related("grid", "community", "body")
        qs = (
            qs.order_by(F("dispatch_due").asc(nulls_last=True), "pk")
            if tab == "todo"
            else qs.order_by("-reported_at", "-pk")
        )
        page = paginate(self.request, qs)
        counted = [k for k in keys if k != "all"]
        counts = (
            base.filter(state__in=OPEN_STATES).aggregate(
                **{k: Count("pk", filter=tab_q(k, user, now)) for k in counted}
            )
            if counted
            else {}
        )
        params = self.request.GET
        ctx.update(
            page=page,
            rows=rows_for(page.object_list, now),
            tabs=[(TABS[k], counts.get(k)) for k in keys],
            tab=tab,
            filterset=filterset,
            params=params,
            selected_states=params.getlist("state"),
            selected_categories=params.getlist("category"),
            states=State.choices,
            categories=Category.choices,
            channels=Channel.choices,
            tiers=Tier.choices,
            priorities=Priority.choices,
            sla_choices=[
                (SlaState.OVERDUE.value, SlaState.OVERDUE.label),
                (SlaState.DUE_SOON.value, SlaState.DUE_SOON.label),
            ],
            filtered=any(
                params.get(k) for k in ("q", "state", "category", "channel", "tier", "priority", "sla", "body")
            ),
            staff=user.has_scope_perm(CASES_VIEW) or bool(services.body_ids(user)),
            live=user.has_scope_perm(CASES_VIEW) or bool(services.body_ids(user)),
            unread=notify.unread_count(user),
            now=now,
        )
        return ctx


# -- a case -----------------------------------------------------------------------------------------

NOTE_LABELS = {
    "register": gettext_lazy("立案说明（可选）"),
    "reject": gettext_lazy("不予立案理由（将告知反映人）"),
    "merge": gettext_lazy("并单说明（可选）"),
    "dispatch": gettext_lazy("派遣说明（可选）"),
    "redispatch": gettext_lazy("改派理由"),
    "accept": gettext_lazy("签收说明（可选）"),
    "return": gettext_lazy("退单理由（写明为何不属于本单位办理）"),
    "plan": gettext_lazy("解决方案（措施、责任人、时间安排）"),
    "handle": gettext_lazy("处置情况"),
    "suspend": gettext_lazy("缓办说明"),
    "resume": gettext_lazy("恢复办理说明（可选）"),
    "escalate": gettext_lazy("上报理由"),
    "verify": gettext_lazy("核实情况（可选）"),
    "rework": gettext_lazy("返工原因"),
    "rate": gettext_lazy("评价意见（可选）"),
    "close": gettext_lazy("结案说明（如无法联系反映人）"),
    "reopen": gettext_lazy("重新办理理由"),
}

CONFIRMS = {
    "reject": gettext_lazy("确定不予立案？反映人将收到通知。"),
    "merge": gettext_lazy("确定将本事项并入所选事项？本事项将随之办理。"),
    "return": gettext_lazy("确定退单？事项将退回调度中心改派。"),
    "rework": gettext_lazy("确定退回返工？"),
    "close": gettext_lazy("确定不经评价直接结案？"),
    "escalate": gettext_lazy("确定上报上一级？"),
}

PRIMARY_MOVES = {"dispatch", "accept", "plan", "handle", "verify", "rate", "resume"}
DANGER_MOVES = {"reject", "return", "rework", "escalate", "close"}


@dataclass
class Failure:
    """A form that was refused: which form, what the user typed, the messages, and whether it was a conflict."""

    key: str
    values: QueryDict
    errors: list[str]
    conflict: bool = False
    had_photos: bool = False
    fields: dict[str, list[str]] = field(default_factory=dict)


def error_lists(exc: ValidationError) -> tuple[list[str], dict[str, list[str]]]:
    if hasattr(exc, "error_dict"):
        fields = {name: [str(m) for m in msgs] for name, msgs in exc.message_dict.items()}
        return [m for msgs in fields.values() for m in msgs], fields
    return [str(m) for m in exc.messages], {}


def bodies_by_tier(case: Case) -> list[tuple[Any, list[HandlingBody]]]:
    """The bodies a case may be sent to, grouped by tier (grid first: 微事不出格)."""
    bodies = list(routing.nearby_bodies(routing.Place.of(case)).order_by("kind", "name", "pk"))
    groups = []
    for tier in TIER_ORDER:
        members = [b for b in bodies if b.tier == tier]
        if members:
            groups.append((tier.label, members))
    return groups


def visible_case_or_404(user, pk: int) -> Case:
    qs = services.visible_cases(user).select_related(
        "grid", "community", "street", "compound", "building", "body", "suggested_body", "merged_into"
    )
    return get_object_or_404(qs, pk=pk)


def event_details(event: CaseEvent, staff: bool = True) -> list[dict]:
    """What an event's data means, as short lines (the body it went to, the rating, ...); the lines
    about the desk's own work (a suggestion not taken, a department late) only for staff."""
    data, out = event.data or {}, []

    def line(text, url="", badge=""):
        out.append({"text": text, "url": url, "badge": badge})

    if event.action == "report" and data.get("channel") in Channel.values:
        line(_("渠道：%(c)s") % {"c": Channel(data["channel"]).label})
    if data.get("body_name") and event.action in ("dispatch", "redispatch", "reopen"):
        line(_("派往：%(b)s") % {"b": data["body_name"]})
    elif data.get("body_name") and event.action == "return":
        line(_("退单单位：%(b)s") % {"b": data["body_name"]})
    elif data.get("body_name") and event.action == "report_in":
        line(_("报到部门：%(b)s") % {"b": data["body_name"]}, badge=_("迟到") if data.get("late") and staff else "")
    elif data.get("body_name") and event.action == "evaluate":
        line(_("%(b)s：%(s)s 分") % {"b": data["body_name"], "s": data.get("score", "")})
    if isinstance(data.get("category"), list) and len(data["category"]) == 2:
        old, new = data["category"]
        line(_("类别改为：%(old)s → %(new)s") % {"old": _label(Category, old), "new": _label(Category, new)})
    if isinstance(data.get("priority"), list) and len(data["priority"]) == 2:
        old, new = data["priority"]
        line(_("紧急程度：%(old)s → %(new)s") % {"old": _label(Priority, old), "new": _label(Priority, new)})
    if staff and event.action == "dispatch" and data.get("suggested_body"):
        line(_("未采用系统建议的处理主体"))
    if event.action == "rate":
        if data.get("solved") is not None:
            line(_("问题已解决") if data["solved"] else _("问题未解决"))
        if data.get("satisfaction") in Satisfaction.values:
            line(_("满意度：%(s)s") % {"s": Satisfaction(data["satisfaction"]).label})
        if data.get("on_behalf"):
            line(_("（回访代为评价）"))
    if event.action == "merge" and data.get("into"):
        line(
            _("并入 %(n)s") % {"n": data.get("into_number", data["into"])},
            url=reverse("cases:detail", args=[data["into"]]),
        )
    if event.action == "merged_in" and data.get("from"):
        line(
            _("由 %(n)s 并入") % {"n": data.get("from_number", data["from"])},
            url=reverse("cases:detail", args=[data["from"]]),
        )
    if event.action == "whistle":
        if data.get("reason") in WhistleReason.values:
            line(_("事由：%(r)s") % {"r": WhistleReason(data["reason"]).label})
        if data.get("names"):
            line(_("召集：%(n)s") % {"n": data["names"]})
    if event.action == "escalate" and data.get("to_tier") in Tier.values:
        line(_("层级：%(a)s → %(b)s") % {"a": _label(Tier, data.get("from_tier")), "b": Tier(data["to_tier"]).label})
    if event.action == "remind" and data.get("phase") in SlaPhase.values:
        line(_("%(p)s已过") % {"p": SlaPhase(data["phase"]).label})
    return out


def _label(choices, value) -> str:
    return str(choices(value).label) if value in choices.values else str(value or "—")


@dataclass
class Clock:
    label: Any
    due: datetime.datetime | None
    done: datetime.datetime | None
    state: str  # on_time, due_soon, overdue, stopped, done, late, none
    state_label: Any


def clocks(case: Case, now) -> list[Clock]:
    """The four clocks of a case with where each stands: running (on time, due soon, overdue), done (on
    time or late), stopped (suspended, or the case ended before the phase)."""
    waiting_plan = case.planned_at is None and case.state in (State.DISPATCHED, State.ACCEPTED)
    running = {
        SlaPhase.DISPATCH: case.state in WAITING_DISPATCH,
        SlaPhase.ACCEPT: case.state == State.DISPATCHED,
        SlaPhase.PLAN: waiting_plan,
        SlaPhase.RESOLVE: case.state in (*WAITING_DISPATCH, *IN_HAND),
    }
    rows = [
        (SlaPhase.DISPATCH, case.dispatch_due, case.first_dispatched_at, case.reported_at),
        (SlaPhase.ACCEPT, case.accept_due, case.accepted_at, case.dispatched_at),
        (SlaPhase.PLAN, case.plan_due, case.planned_at, case.dispatched_at),
        (SlaPhase.RESOLVE, case.resolve_due, case.handled_at, case.reported_at),
    ]
    out = []
    for phase, due, done, started in rows:
        if due is not None and running[phase]:
            state = sla.sla_state(due, now, started=started or case.reported_at)
            out.append(Clock(phase.label, due, None, state, SlaState(state).label))
        elif done is not None:
            late = due is not None and done > due
            out.append(
                Clock(phase.label, due, done, "late" if late else "done", _("超时完成") if late else _("按时完成"))
            )
        elif due is None:
            out.append(Clock(phase.label, None, None, "none", "—"))
        else:
            out.append(Clock(phase.label, due, None, SlaState.STOPPED, SlaState.STOPPED.label))
    return out


def move_forms(case: Case, roles: set, failure: Failure | None) -> list[dict]:
    """One form per move the table offers this user; a reported case also offers 立案并派遣."""
    moves = list(workflow.available(case.state, roles))
    if case.state == State.REPORTED and Actor.DISPATCHER in roles:
        moves.insert(0, workflow.MOVES["dispatch"])
    needs_bodies = any(m.needs_body for m in moves)
    groups = bodies_by_tier(case) if needs_bodies else []
    candidates = services.duplicate_candidates(case) if any(m.needs_target_case for m in moves) else []
    forms = []
    for move in moves:
        key = f"move-{move.name}"
        failed = failure if failure is not None and failure.key == key else None
        values = failed.values if failed else QueryDict()
        label = _("立案并派遣") if move.name == "dispatch" and case.state == State.REPORTED else str(move.label)
        body_default = values.get("body") or (
            str(case.suggested_body_id) if case.suggested_body_id and case.suggested_body_id != case.body_id else ""
        )
        forms.append(
            {
                "move": move,
                "name": move.name,
                "key": key,
                "label": label,
                "note_label": NOTE_LABELS.get(move.name, _("说明")),
                "confirm": CONFIRMS.get(move.name, ""),
                "style": "primary" if move.name in PRIMARY_MOVES else "danger" if move.name in DANGER_MOVES else "",
                "values": values,
                "failure": failed,
                "open": failed is not None,
                "groups": groups if move.needs_body else [],
                "body_default": body_default,
                "with_category": move.name in ("dispatch", "register")
                and case.state in (State.REPORTED, State.REGISTERED),
                "category_default": values.get("category") or case.category,
                "priority_default": values.get("priority") or case.priority,
                "candidates": candidates if move.needs_target_case else [],
            }
        )
    return forms


def _failure_for(failure: Failure | None, key: str) -> Failure | None:
    return failure if failure is not None and failure.key == key else None


def detail_context(request, case: Case, failure: Failure | None = None) -> dict:
    user, now = request.user, timezone.now()
    roles = services.roles_on(case, user)
    staff = services.is_staff_on(case, user, roles)
    events = case.events.select_related("actor").prefetch_related("attachments").order_by("time", "pk")
    if not staff:
        events = events.filter(public=True)
    timeline = [
        {
            "event": e,
            "label": workflow.event_label(e.action),
            "details": event_details(e, staff),
            "photos": list(e.attachments.all()),
        }
        for e in events
    ]
    can_whistle = services.in_scope(user, CASES_WHISTLE, case)
    my_bodies = services.body_ids(user)
    whistles = []
    if staff:
        for whistle in (
            case.whistles.select_related("blown_by").prefetch_related("summonses__body").order_by("-blown_at")
        ):
            rows = []
            for s in whistle.summonses.all():
                if s.arrived_at is not None:
                    status = "late" if s.late else "arrived"
                else:
                    status = "missing" if now > s.due_at else "waiting"
                rows.append(
                    {
                        "summons": s,
                        "status": status,
                        "can_report": whistle.closed_at is None and s.arrived_at is None and s.body_id in my_bodies,
                        "can_evaluate": can_whistle,
                        "report_failure": _failure_for(failure, f"report-in-{s.pk}"),
                        "eval_failure": _failure_for(failure, f"evaluate-{s.pk}"),
                    }
                )
            whistles.append(
                {
                    "whistle": whistle,
                    "rows": rows,
                    "can_close": can_whistle and whistle.closed_at is None,
                    "close_failure": _failure_for(failure, f"close-whistle-{whistle.pk}"),
                }
            )
    whistle_open = can_whistle and case.is_open and case.state not in (State.REPORTED, State.VERIFIED)
    moves = move_forms(case, roles, failure)
    whistle_failure = _failure_for(failure, "whistle")
    whistle_values = {
        "reason": whistle_failure.values.get("reason", "") if whistle_failure else "",
        "bodies": set(whistle_failure.values.getlist("bodies")) if whistle_failure else set(),
        "note": whistle_failure.values.get("note", "") if whistle_failure else "",
        "minutes": whistle_failure.values.get("minutes", "") if whistle_failure else "",
    }
    lost_note = ""
    if failure is not None and failure.key.startswith("move-") and not any(m["key"] == failure.key for m in moves):
        lost_note = failure.values.get("note", "")
    map_data = None
    if case.lon is not None and case.lat is not None:
        map_data = {
            "lon": case.lon,
            "lat": case.lat,
            "grid": case.grid.geometry,
            "label": case.address or case.grid.name,
        }
    suggestions = [
        {"label": Category(s["category"]).label, "code": s["category"], "score": float(s.get("score") or 0)}
        for s in (case.suggestions or [])[:3]
        if isinstance(s, dict) and s.get("category") in Category.values
    ]
    phase, due = services.phase_due(case)
    sla_now = services.sla_state(case, now)
    scores = {s["code"]: s["score"] for s in suggestions}
    shown = {m["key"] for m in moves}
    shown |= {"comment"} if bool(roles - {Actor.SYSTEM}) else set()
    can_request_suspension = Actor.HANDLER in roles and case.state in (State.ACCEPTED, State.PLANNED)
    shown |= {"suspension"} if can_request_suspension else set()
    shown |= {"whistle"} if whistle_open else set()
    for w in whistles:
        shown |= {f"close-whistle-{w['whistle'].pk}"} if w["can_close"] else set()
        for r in w["rows"]:
            shown |= {f"evaluate-{r['summons'].pk}"} if r["can_evaluate"] else set()
            shown |= {f"report-in-{r['summons'].pk}"} if r["can_report"] else set()
    return {
        "case": case,
        "roles": roles,
        "staff": staff,
        "timeline": timeline,
        "moves": moves,
        "failure": failure,
        "failure_shown": failure is not None and failure.key in shown,
        "category_options": [(code, label, scores.get(code)) for code, label in Category.choices],
        "comment_failure": _failure_for(failure, "comment"),
        "suspension_failure": _failure_for(failure, "suspension"),
        "whistle_failure": whistle_failure,
        "whistle_values": whistle_values,
        "lost_note": lost_note,
        "sla": sla_now,
        "sla_label": SlaState(sla_now).label,
        "sla_due": due,
        "sla_phase": SlaPhase(phase).label if phase else "",
        "clocks": clocks(case, now),
        "suggestions": suggestions,
        "map_data": map_data,
        "whistles": whistles,
        "can_whistle": can_whistle,
        "whistle_open": whistle_open,
        "whistle_groups": bodies_by_tier(case) if whistle_open else [],
        "whistle_reasons": WhistleReason.choices,
        "whistle_minutes": services.whistle_minutes(),
        "can_comment": bool(roles - {Actor.SYSTEM}),
        "can_request_suspension": can_request_suspension,
        "categories": Category.choices,
        "priorities": Priority.choices,
        "satisfactions": Satisfaction.choices,
        "scores": [1, 2, 3, 4, 5],
        "unread": notify.unread_count(user),
        "now": now,
    }


class CaseDetailView(DeskAccessMixin, View):
    def get(self, request, pk):
        case = visible_case_or_404(request.user, pk)
        return render(request, "cases/detail.html", detail_context(request, case))


def refused(request, case_pk: int, failure: Failure, *, partial_move: bool = False) -> HttpResponse:
    """Show the page (or, for htmx, the one form) again with the messages and what was typed."""
    status = 409 if failure.conflict else 400
    case = visible_case_or_404(request.user, case_pk)
    ctx = detail_context(request, case, failure)
    if partial_move and request.htmx:
        form = next((m for m in ctx["moves"] if m["key"] == failure.key), None)
        if form is not None:
            return render(request, "cases/_desk_move_form.html", {**ctx, "m": form}, status=status)
        return render(request, "cases/_desk_conflict.html", ctx, status=status)
    return render(request, "cases/detail.html", ctx, status=status)


def done(request, case_pk: int, message: str) -> HttpResponse:
    messages.success(request, message)
    url = reverse("cases:detail", args=[case_pk])
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def parse_version(post) -> int:
    raw = post.get("version", "")
    if not raw.isdigit():
        raise ValidationError(_("表单缺少版本信息，请刷新页面后重试。"))
    return int(raw)


def posted_body(post, key: str = "body") -> HandlingBody:
    raw = post.get(key, "")
    body = HandlingBody.objects.filter(pk=int(raw)).first() if raw.isdigit() else None
    if body is None:
        raise ValidationError({key: [_("请选择处理主体。")]})
    return body


def posted_target(user, post) -> Case:
    """The case to merge into: a chosen candidate, or a typed number (20261201-000123 or 123)."""
    typed = (post.get("into_number") or "").strip()
    raw = post.get("into", "")
    pk = None
    if typed:
        match = NUMBER.match(typed.replace(" ", ""))
        if match:
            pk = int(match.group(2))
        elif typed.isdigit() and len(typed) <= 9:
            pk = int(typed)
        else:
            raise ValidationError({"into": [_("案卷号格式不正确，应为“20261201-000123”。")]})
    elif raw.isdigit():
        pk = int(raw)
    if pk is None:
        raise ValidationError({"into": [_("请选择或填写要并入的事项。")]})
    target = services.visible_cases(user).filter(pk=pk).first()
    if target is None:
        raise ValidationError({"into": [_("找不到案卷号为“%(n)s”的事项。") % {"n": typed or pk}]})
    return target


def posted_solved(post) -> bool | None:
    return {"yes": True, "no": False}.get(post.get("solved", ""))


def perform_move(name: str, case: Case, request) -> Case:
    """Call the service of a move with what the form sent."""
    post, user, now = request.POST, request.user, timezone.now()
    move = workflow.get_move(name)
    if name == "expire":
        raise workflow.IllegalTransition(_("该操作由系统自动执行。"))
    version = parse_version(post)
    note = post.get("note", "")
    common = {"actor": user, "now": now, "version": version}
    photos = request.FILES.getlist("photos") if move.photos else []
    category = post.get("category") or None
    priority = post.get("priority") or None
    if name == "register":
        return services.register_case(case, category=category, priority=priority, note=note, **common)
    if name == "dispatch":
        return services.dispatch_case(
            case, body=posted_body(post), category=category, priority=priority, note=note, **common
        )
    if name == "redispatch":
        return services.redispatch_case(case, body=posted_body(post), note=note, **common)
    if name == "merge":
        return services.merge_case(case, into=posted_target(user, post), note=note, **common)
    if name in ("handle", "verify", "rework"):
        function = {"handle": services.handle_case, "verify": services.verify_case, "rework": services.rework_case}
        return function[name](case, note=note, photos=photos, **common)
    if name == "rate":
        return services.rate_case(
            case, solved=posted_solved(post), satisfaction=post.get("satisfaction", ""), comment=note, **common
        )
    function = {
        "reject": services.reject_case,
        "accept": services.accept_case,
        "return": services.return_case,
        "plan": services.plan_case,
        "suspend": services.suspend_case,
        "resume": services.resume_case,
        "escalate": services.escalate_case,
        "close": services.close_case,
        "reopen": services.reopen_case,
    }[name]
    return function(case, note=note, **common)


class CaseMoveView(DeskAccessMixin, View):
    """POST /cases/<pk>/move/<name>/: one move of the workflow table through its service."""

    def post(self, request, pk, name):
        case = visible_case_or_404(request.user, pk)
        if name not in workflow.MOVES:
            raise Http404
        try:
            moved = perform_move(name, case, request)
        except ValidationError as exc:
            errors, fields = error_lists(exc)
            failure = Failure(
                f"move-{name}",
                request.POST,
                errors,
                conflict=isinstance(exc, services.Conflict),
                had_photos=bool(request.FILES.getlist("photos")),
                fields=fields,
            )
            return refused(request, pk, failure, partial_move=True)
        label = _("立案并派遣") if name == "dispatch" and case.state == State.REPORTED else workflow.MOVES[name].label
        return done(
            request, pk, _("已%(move)s，事项现为“%(state)s”。") % {"move": label, "state": moved.get_state_display()}
        )


class CommentView(DeskAccessMixin, View):
    def post(self, request, pk):
        case = visible_case_or_404(request.user, pk)
        roles = services.roles_on(case, request.user)
        public = request.POST.get("public") == "1" or not services.is_staff_on(case, request.user, roles)
        try:
            services.comment_case(
                case,
                actor=request.user,
                now=timezone.now(),
                note=request.POST.get("note", ""),
                public=public,
                photos=request.FILES.getlist("photos"),
            )
        except ValidationError as exc:
            errors, fields = error_lists(exc)
            return refused(request, pk, Failure("comment", request.POST, errors, fields=fields))
        return done(request, pk, _("已留言。"))


class SuspensionRequestView(DeskAccessMixin, View):
    def post(self, request, pk):
        case = visible_case_or_404(request.user, pk)
        try:
            services.request_suspension(case, actor=request.user, now=timezone.now(), note=request.POST.get("note", ""))
        except ValidationError as exc:
            errors, fields = error_lists(exc)
            return refused(request, pk, Failure("suspension", request.POST, errors, fields=fields))
        return done(request, pk, _("缓办申请已提交，等待调度中心审批。"))


class BlowWhistleView(DeskAccessMixin, View):
    def post(self, request, pk):
        case = visible_case_or_404(request.user, pk)
        post = request.POST
        ids = [int(v) for v in post.getlist("bodies") if v.isdigit()]
        bodies = list(HandlingBody.objects.filter(pk__in=ids).order_by("pk"))
        try:
            raw_minutes = post.get("minutes", "").strip()
            if raw_minutes and not raw_minutes.isdigit():
                raise ValidationError({"minutes": [_("报到时限请填写分钟数。")]})
            services.blow_whistle(
                case,
                actor=request.user,
                now=timezone.now(),
                reason=post.get("reason", ""),
                bodies=bodies,
                note=post.get("note", ""),
                minutes=int(raw_minutes) if raw_minutes else None,
            )
        except ValidationError as exc:
            errors, fields = error_lists(exc)
            return refused(request, pk, Failure("whistle", post, errors, fields=fields))
        return done(request, pk, _("已吹哨，%(n)s 个部门须按时报到。") % {"n": len(bodies)})


def visible_summons_or_404(user, pk: int) -> Summons:
    qs = Summons.objects.select_related("whistle", "body").filter(
        Exists(services.visible_cases(user).filter(pk=OuterRef("whistle__case_id")))
    )
    return get_object_or_404(qs, pk=pk)


class ReportInView(DeskAccessMixin, View):
    def post(self, request, pk):
        summons = visible_summons_or_404(request.user, pk)
        case_pk = summons.whistle.case_id
        try:
            arrived = services.report_in(
                summons, actor=request.user, now=timezone.now(), note=request.POST.get("note", "")
            )
        except ValidationError as exc:
            errors, fields = error_lists(exc)
            return refused(request, case_pk, Failure(f"report-in-{pk}", request.POST, errors, fields=fields))
        message = _("%(body)s 已报到（迟到）。") if arrived.late else _("%(body)s 已报到。")
        return done(request, case_pk, message % {"body": arrived.body.name})


class EvaluateSummonsView(DeskAccessMixin, View):
    def post(self, request, pk):
        summons = visible_summons_or_404(request.user, pk)
        case_pk = summons.whistle.case_id
        try:
            services.evaluate_summons(
                summons,
                actor=request.user,
                now=timezone.now(),
                score=request.POST.get("score", ""),
                note=request.POST.get("note", ""),
            )
        except ValidationError as exc:
            errors, fields = error_lists(exc)
            return refused(request, case_pk, Failure(f"evaluate-{pk}", request.POST, errors, fields=fields))
        return done(request, case_pk, _("已评价 %(body)s。") % {"body": summons.body.name})


class CloseWhistleView(DeskAccessMixin, View):
    def post(self, request, pk):
        visible = services.visible_cases(request.user).filter(pk=OuterRef("case_id"))
        whistle = get_object_or_404(Whistle.objects.filter(Exists(visible)), pk=pk)
        try:
            services.close_whistle(whistle, actor=request.user, now=timezone.now(), note=request.POST.get("note", ""))
        except ValidationError as exc:
            errors, fields = error_lists(exc)
            return refused(
                request, whistle.case_id, Failure(f"close-whistle-{pk}", request.POST, errors, fields=fields)
            )
        return done(request, whistle.case_id, _("已结束吹哨。"))


class AttachmentView(DeskAccessMixin, View):
    """A photo of a case, for those who may see the case (and, for a reporter, the public steps only).
    Served through Django rather than MEDIA_URL so that scope applies to files too."""

    def get(self, request, pk):
        attachment = get_object_or_404(Attachment.objects.select_related("event"), pk=pk)
        case = visible_case_or_404(request.user, attachment.case_id)
        if not attachment.event.public and not services.is_staff_on(
            case, request.user, services.roles_on(case, request.user)
        ):
            raise Http404
        try:
            handle = attachment.file.open("rb")
        except (FileNotFoundError, OSError):
            raise Http404 from None
        response = FileResponse(handle, content_type=attachment.content_type or "application/octet-stream")
        response["Content-Disposition"] = "inline"
        response["Cache-Control"] = "private, max-age=3600"
        response["X-Content-Type-Options"] = "nosniff"
        return response


# -- messages ---------------------------------------------------------------------------------------


class NotificationListView(SignedInMixin, TemplateView):
    template_name = "cases/notifications.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        user = self.request.user
        qs = Notification.objects.filter(user=user).select_related("case")
        if self.request.GET.get("unread") == "1":
            qs = qs.filter(read_at=None)
        qs = qs.order_by(F("read_at").asc(nulls_first=True), "-time", "-pk")
        page = paginate(self.request, qs, per_page=30)
        ctx.update(page=page, unread=notify.unread_count(user), only_unread=self.request.GET.get("unread") == "1")
        return ctx


class NotificationReadView(SignedInMixin, View):
    def post(self, request, pk):
        notification = get_object_or_404(Notification.objects.filter(user=request.user), pk=pk)
        notify.mark_read(request.user, timezone.now(), notification.pk)
        target = request.POST.get("next", "")
        if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
            return redirect(target)
        if request.htmx:
            return HttpResponse(status=204, headers={"HX-Refresh": "true"})
        return redirect("cases:notifications")


class NotificationReadAllView(SignedInMixin, View):
    def post(self, request):
        count = notify.mark_read(request.user, timezone.now())
        messages.success(request, _("已将 %(n)s 条消息标为已读。") % {"n": count})
        return redirect("cases:notifications")


class UnreadBadgeView(SignedInMixin, View):
    """The bell's count, loaded by htmx (templates/cases/_desk_bell.html) so pages need no extra query."""

    def get(self, request):
        return render(request, "cases/_desk_bell_count.html", {"unread": notify.unread_count(request.user)})


urlpatterns = [
    path("", CaseListView.as_view(), name="list"),
    path("<int:pk>/", CaseDetailView.as_view(), name="detail"),
    path("<int:pk>/move/<slug:name>/", CaseMoveView.as_view(), name="move"),
    path("<int:pk>/comment/", CommentView.as_view(), name="comment"),
    path("<int:pk>/suspension-request/", SuspensionRequestView.as_view(), name="suspension-request"),
    path("<int:pk>/whistles/", BlowWhistleView.as_view(), name="whistle-blow"),
    path("whistles/<int:pk>/close/", CloseWhistleView.as_view(), name="whistle-close"),
    path("summons/<int:pk>/report-in/", ReportInView.as_view(), name="summons-report-in"),
    path("summons/<int:pk>/evaluate/", EvaluateSummonsView.as_view(), name="summons-evaluate"),
    path("attachments/<int:pk>/", AttachmentView.as_view(), name="attachment"),
    path("notifications/", NotificationListView.as_view(), name="notifications"),
    path("notifications/<int:pk>/read/", NotificationReadView.as_view(), name="notification-read"),
    path("notifications/read-all/", NotificationReadAllView.as_view(), name="notifications-read-all"),
    path("notifications/unread/", UnreadBadgeView.as_view(), name="notifications-unread"),
]
