"""Writes to cases: intake from every channel, the moves of the workflow table, escalation, the
whistle, reminders and the sweep. Every write is atomic, checked against the table and the
actor's place on the case, recorded in the case timeline and the audit trail in the same
transaction; notifications leave after commit.

Time is an argument (`now`); only the views and commands read the clock.
"""

from __future__ import annotations

import datetime
import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import shapely
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.core.audit import log_change, serialize_object
from gongzhi.core.choices import ChangeAction
from gongzhi.population.identity import parse_phone
from gongzhi.territory import geometry, resolve
from gongzhi.territory.models import Building, Compound, Grid

from . import cache, classifier, notify, routing, sla, workflow
from .choices import (
    TIER_ORDER,
    Category,
    Channel,
    DurationUnit,
    Priority,
    Satisfaction,
    SlaPhase,
    State,
    Tier,
    WhistleReason,
)
from .models import (
    OPEN_STATES,
    Attachment,
    CalendarDay,
    Case,
    CaseEvent,
    Dispatch,
    HandlingBody,
    Reminder,
    SlaPolicy,
    Summons,
    Whistle,
)
from .workflow import Actor, IllegalTransition

MAX_DESCRIPTION = 2000
MAX_PHOTOS = 6
MAX_PHOTO_BYTES = 10 * 1024 * 1024
PHOTO_TYPES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG": "image/png", b"RIFF": "image/webp", b"GIF8": "image/gif"}


class Conflict(ValidationError):
    """Someone else changed the case since the form was shown: nothing was written."""


# -- configuration read from the database (cached briefly: edited rarely, read on every intake) ----

_cached = cache.cached


def clear_caches() -> None:
    cache.clear()


def calendar() -> sla.WorkCalendar:
    """The working calendar: weekends, plus the holidays and make-up workdays in the admin."""

    def build():
        days = list(CalendarDay.objects.values_list("date", "is_workday"))
        return sla.WorkCalendar(
            holidays=frozenset(d for d, work in days if not work), workdays=frozenset(d for d, work in days if work)
        )

    return _cached("calendar", build)


def policy_for(category: str, priority: str) -> sla.Policy:
    """The time limits of a category and priority: a category's own row, else the priority's row,
    else the built-in default."""

    def build():
        table = {}
        for row in SlaPolicy.objects.all():
            table[(row.category, row.priority)] = sla.Policy(
                dispatch=sla.Duration(row.dispatch_amount, DurationUnit(row.dispatch_unit)),
                accept=sla.Duration(row.accept_amount, DurationUnit(row.accept_unit)),
                plan=sla.Duration(row.plan_amount, DurationUnit(row.plan_unit)),
                resolve=sla.Duration(row.resolve_amount, DurationUnit(row.resolve_unit)),
            )
        return table

    table = _cached("policies", build)
    return table.get((category, priority)) or table.get(("", priority)) or sla.default_policy(priority)


def rating_window() -> datetime.timedelta:
    return datetime.timedelta(days=getattr(settings, "GONGZHI_CASE_RATING_DAYS", 7))


def reopen_window() -> datetime.timedelta:
    return datetime.timedelta(days=getattr(settings, "GONGZHI_CASE_REOPEN_DAYS", 15))


def whistle_minutes() -> int:
    return int(getattr(settings, "GONGZHI_WHISTLE_REPORT_MINUTES", 30))


# -- who the actor is on a case ----------------------------------------------------------------


def in_scope(user, perm: str, obj) -> bool:
    """Whether `user` holds `perm` over the territory `obj` lies in (no query: assignments are cached)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    own_level = getattr(obj, "level", None)
    for level, ids in user.scope_nodes(perm).items():
        value = obj.pk if own_level == level else getattr(obj, f"{level}_id", None)
        if value is not None and value in ids:
            return True
    return False


def body_ids(user) -> set[int]:
    """The handling bodies `user` works for (cached on the user object for the request)."""
    if user is None or not user.is_authenticated:
        return set()
    cached = getattr(user, "_gz_body_ids", None)
    if cached is None:
        cached = set(HandlingBody.objects.filter(members=user, is_active=True).values_list("pk", flat=True))
        user._gz_body_ids = cached
    return cached


def roles_on(case: Case, user) -> set[Actor]:
    """What `user` is on `case`: dispatcher, handler, verifier, reporter (SYSTEM when no user)."""
    if user is None:
        return {Actor.SYSTEM}
    if isinstance(user, ReporterLink):
        return {Actor.REPORTER} if user.case_id == case.pk else set()
    roles: set[Actor] = set()
    if in_scope(user, "cases.dispatch", case):
        roles |= {Actor.DISPATCHER, Actor.REPORTER}  # a dispatcher records a rating on a follow-up call
    if in_scope(user, "cases.verify", case):
        roles.add(Actor.VERIFIER)
    if case.body_id is not None and (case.body_id in body_ids(user) or user.is_superuser):
        roles.add(Actor.HANDLER)
    if case.reporter_user_id is not None and case.reporter_user_id == user.pk:
        roles.add(Actor.REPORTER)
    return roles


def desk_allowed(user) -> bool:
    """Who may use the case desk: staff with cases.view, handling-body members, and residents who
    reported something."""
    return user.has_scope_perm("cases.view") or bool(body_ids(user)) or Case.objects.filter(reporter_user=user).exists()


def is_staff_on(case: Case, user, roles: set) -> bool:
    """Staff see the whole timeline; a reporter who is nothing else sees only the public steps."""
    if user.is_superuser or roles & {Actor.DISPATCHER, Actor.HANDLER, Actor.VERIFIER}:
        return True
    if in_scope(user, "cases.view", case):
        return True
    bodies = body_ids(user)
    return bool(bodies) and Summons.objects.filter(whistle__case=case, body_id__in=bodies).exists()


def visible_cases(user):
    """Cases in the user's territory, cases sent to their bodies or summoned them, and their own."""
    from django.db.models import Exists, OuterRef

    qs = Case.objects.restrict(user, "view")
    if not user.is_authenticated or user.is_superuser:
        return qs
    extra = Q(reporter_user=user) | Q(created_by=user)
    bodies = body_ids(user)
    if bodies:
        summoned = Summons.objects.filter(whistle__case=OuterRef("pk"), body_id__in=bodies)
        extra |= Q(body_id__in=bodies) | Q(Exists(summoned))
    return Case.objects.filter(Q(pk__in=qs.values("pk")) | extra) if qs.query.where else Case.objects.filter(extra)


# -- where a case is -----------------------------------------------------------------------------


@dataclass
class Location:
    grid: Grid
    building: Building | None = None
    compound: Compound | None = None
    lon: float | None = None
    lat: float | None = None


def resolve_address(address: str) -> Location | None:
    """A building (or compound) named in a free-text address: "东湖花园3幢2单元" → that building.

    The longest compound name contained in the address wins; then a building of that compound
    whose name ("3幢") appears after it.
    """
    text = (address or "").replace(" ", "")
    if len(text) < 2:
        return None
    names = _cached("compound_names", lambda: list(Compound.objects.values_list("pk", "name")))
    hits = sorted(((len(name), pk) for pk, name in names if name and name in text), reverse=True)
    if not hits:
        return None
    compound, buildings = _compound_place(hits[0][1])
    rest = text.split(compound.name, 1)[1] if compound.name in text else text
    for building in buildings:
        name = building.name.replace(" ", "")
        if name and (rest.startswith(name) or name in rest):
            return Location(grid_stub(building.grid_id), building, compound, building.lon, building.lat)
    return Location(grid_stub(compound.grid_id), None, compound, compound.centroid_lon, compound.centroid_lat)


# the columns of a compound and of its buildings that placing a case reads (routing reads the
# compound's property management and owners' organisation); the others load on access
def _model_order(model, names: tuple[str, ...]) -> list[str]:
    """`names` in the order of the model's columns (the order Model.from_db expects values in)."""
    return [f.attname for f in model._meta.concrete_fields if f.attname in names]


COMPOUND_PLACE_FIELDS = _model_order(Compound, ("id", "name", "grid_id", "centroid_lon", "centroid_lat",
                                                "property_management", "owners_organisation"))  # fmt: skip
BUILDING_PLACE_FIELDS = _model_order(Building, ("id", "name", "compound_id", "grid_id", "lon", "lat"))


def _compound_place(compound_id: int) -> tuple[Compound, list[Building]]:
    """A compound and its buildings as placing a case needs them, from the configuration cache
    (no query once cached): fresh instances on every call, built from the cached rows."""
    compound_fields, building_fields = COMPOUND_PLACE_FIELDS, BUILDING_PLACE_FIELDS

    def build():
        row = Compound.objects.filter(pk=compound_id).values_list(*compound_fields).get()
        rows = list(Building.objects.filter(compound_id=compound_id).order_by("code").values_list(*building_fields))
        return row, rows

    row, rows = _cached(f"compound_place:{compound_id}", build)
    compound = Compound.from_db("default", compound_fields, row)
    return compound, [Building.from_db("default", building_fields, r) for r in rows]


BUILDING_METRES = 30.0


def grid_stub(grid_id: int) -> Grid:
    """A Grid with its name and ancestor ids from the configuration cache (no query): enough to
    place a case and check scope; other fields load on access."""

    def build():
        return {
            pk: (name, community, street, district)
            for pk, name, community, street, district in Grid.objects.values_list(
                "pk", "name", "community_id", "street_id", "district_id"
            )
        }

    meta = _cached("grids", build).get(grid_id)
    if meta is None:
        return Grid.objects.get(pk=grid_id)
    name, community, street, district = meta
    grid = Grid(pk=grid_id, name=name, community_id=community, street_id=street, district_id=district)
    grid._state.adding = False
    return grid


def _compound_shapes(grid_id: int) -> list[tuple[int, shapely.Geometry]]:
    """The compounds of a grid with their boundaries parsed (cached)."""

    def build():
        shapes: dict[int, list[tuple[int, shapely.Geometry]]] = {}
        for pk, gid, geojson in Compound.objects.exclude(geometry=None).values_list("pk", "grid_id", "geometry"):
            try:
                shapes.setdefault(gid, []).append((pk, shapely.geometry.shape(geojson)))
            except (TypeError, ValueError, AttributeError, KeyError):
                continue
        return shapes

    return _cached("compound_shapes", build).get(grid_id, [])


def place_at(grid_id: int, lon: float, lat: float) -> tuple[Compound | None, Building | None]:
    """The compound whose boundary holds a point of a grid, and its building within
    BUILDING_METRES of the point (the nearest), so that routing knows the compound's property
    management even when a case was placed by GPS."""
    point = shapely.Point(lon, lat)
    for compound_id, shape in _compound_shapes(grid_id):
        if not shape.covers(point):
            continue
        compound, buildings = _compound_place(compound_id)
        best, best_m = None, BUILDING_METRES
        cos = math.cos(math.radians(lat))
        for building in buildings:
            metres = math.hypot((building.lon - lon) * 111_320 * cos, (building.lat - lat) * 110_574)
            if metres <= best_m:
                best, best_m = building, metres
        return compound, best
    return None, None


def locate(*, lon=None, lat=None, address: str = "", building: Building | None = None, grid: Grid | None = None):
    """Every case resolves to a grid (事在格中): from the building, the point, the given grid, or the
    address, in that order; a clear error otherwise."""
    if building is not None:
        return Location(building.grid, building, building.compound, building.lon, building.lat)
    if lon not in (None, "") or lat not in (None, ""):
        point = geometry.parse_point(lon, lat)
        grid_id = resolve.resolve_grid_id(point.x, point.y)
        if grid_id is None:
            raise ValidationError({"location": [_("该位置不在本区任何网格内，请在地图上重新选点或填写详细地址。")]})
        found = resolve_address(address) if address else None
        if found and found.grid.pk == grid_id:
            return Location(found.grid, found.building, found.compound, point.x, point.y)
        compound, near = place_at(grid_id, point.x, point.y)
        return Location(grid_stub(grid_id), near, compound, point.x, point.y)
    if grid is not None:
        found = resolve_address(address) if address else None
        if found and found.grid.pk == grid.pk:
            return found
        return Location(grid)
    found = resolve_address(address)
    if found is None:
        raise ValidationError(
            {"location": [_("无法根据地址确定所属网格：请在地图上选点，或写明小区和楼栋（如“东湖花园3幢”）。")]}
        )
    return found


# -- intake ---------------------------------------------------------------------------------------


def _check_photos(photos: Sequence[UploadedFile]) -> list[tuple[UploadedFile, str]]:
    if len(photos) > MAX_PHOTOS:
        raise ValidationError({"photos": [_("最多上传 %(n)s 张照片。") % {"n": MAX_PHOTOS}]})
    checked = []
    for photo in photos:
        if (photo.size or 0) > MAX_PHOTO_BYTES:
            raise ValidationError({"photos": [_("照片“%(name)s”超过 10 MB。") % {"name": photo.name}]})
        head = photo.read(12)
        photo.seek(0)
        kind = next((t for magic, t in PHOTO_TYPES.items() if head.startswith(magic)), None)
        if kind == "image/webp" and head[8:12] != b"WEBP":
            kind = None
        if kind is None:
            raise ValidationError(
                {"photos": [_("“%(name)s”不是 JPEG、PNG、WebP 或 GIF 图片。") % {"name": photo.name}]}
            )
        checked.append((photo, kind))
    return checked


def _attach(case: Case, event: CaseEvent, photos: list[tuple[UploadedFile, str]], actor) -> None:
    for photo, kind in photos:
        Attachment.objects.create(
            case=case, event=event, file=photo, content_type=kind, size=photo.size or 0, uploaded_by=_user(actor)
        )


def _user(actor):
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


@dataclass(frozen=True)
class ReporterLink:
    """The reporter acting through the signed link sent by SMS (no account): may rate or reopen
    that one case and nothing else."""

    case_id: int
    label: str

    is_authenticated = False
    is_superuser = False
    pk = None


def _actor_name(actor) -> str:
    if isinstance(actor, ReporterLink):
        return actor.label
    user = _user(actor)
    return (user.get_full_name() or user.get_username()) if user else _("系统")


def _event(case: Case, *, actor, action: str, now, from_state="", to_state="", note="", data=None, public=True):
    return CaseEvent.objects.create(
        case=case,
        time=now,
        actor=_user(actor),
        actor_name=_actor_name(actor),
        action=action,
        from_state=from_state,
        to_state=to_state,
        note=note,
        data=data or {},
        public=public,
    )


def may_report(user, place: Location, channel: str) -> bool:
    """Staff report in their territory (a building head in their building); anyone signed in may
    report as a resident; Open311 partners anywhere their key allows (checked by the adapter)."""
    if channel in (Channel.RESIDENT, Channel.OPEN311):
        return True
    if in_scope(user, "cases.report", place.grid):
        return True
    return place.building is not None and in_scope(user, "cases.report", place.building)


@transaction.atomic
def report_case(
    *,
    actor,
    channel: str,
    description: str,
    now: datetime.datetime,
    lon=None,
    lat=None,
    address: str = "",
    building: Building | None = None,
    grid: Grid | None = None,
    reporter_name: str = "",
    reporter_phone: str = "",
    reporter_user=None,
    resident=None,
    priority: str = Priority.NORMAL,
    category: str = "",
    photos: Sequence[UploadedFile] = (),
    data: dict | None = None,
) -> Case:
    """信息收集: one matter from any channel, classified, routed and put on the clock."""
    errors: dict[str, list[str]] = {}
    description = (description or "").strip()
    if not description:
        errors["description"] = [_("请描述反映的问题。")]
    elif len(description) > MAX_DESCRIPTION:
        errors["description"] = [_("问题描述不能超过 %(n)s 字。") % {"n": MAX_DESCRIPTION}]
    if channel not in Channel.values:
        errors["channel"] = [_("未知的来源渠道。")]
    if priority not in Priority.values:
        errors["priority"] = [_("请选择紧急程度。")]
    if category and category not in Category.values:
        errors["category"] = [_("未知的事项类别“%(code)s”。") % {"code": category}]
    phone = ""
    if reporter_phone and reporter_phone.strip():
        try:
            phone = parse_phone(reporter_phone)
        except ValidationError as exc:
            errors["reporter_phone"] = exc.messages
    if len(reporter_name or "") > 50:
        errors["reporter_name"] = [_("姓名不能超过 50 字。")]
    if len(address or "") > 200:
        errors["address"] = [_("地址不能超过 200 字。")]
    checked = []
    try:
        checked = _check_photos(photos)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    place = locate(lon=lon, lat=lat, address=address, building=building, grid=grid)
    if not may_report(actor, place, channel):
        raise ValidationError({"location": [_("该位置不在您的辖区内，不能代为上报。")]})

    suggestions = classifier.suggest(description)
    chosen = category or (suggestions[0]["category"] if suggestions else Category.OTHER)
    case = Case(
        channel=channel,
        description=description,
        address=(address or "").strip(),
        lon=place.lon,
        lat=place.lat,
        grid=place.grid,
        community_id=place.grid.community_id,
        street_id=place.grid.street_id,
        district_id=place.grid.district_id,
        compound=place.compound,
        building=place.building,
        reporter_user=reporter_user
        if reporter_user is not None
        else (_user(actor) if channel == Channel.RESIDENT else None),
        reporter_name=(reporter_name or "").strip(),
        resident=resident,
        created_by=_user(actor),
        category=chosen,
        # a category chosen by staff is confirmed; a resident's or a partner's choice is a hint
        category_confirmed=bool(category) and channel not in (Channel.RESIDENT, Channel.OPEN311),
        suggestions=suggestions,
        priority=priority,
        reported_at=now,
    )
    case.set_reporter_phone(phone)
    body, _rule = routing.route(chosen, routing.Place.of(case))
    case.suggested_body = body
    case.tier = body.tier if body else Tier.COMMUNITY
    policy = policy_for(chosen, priority)
    cal = calendar()
    case.dispatch_due = sla.deadline(now, policy.dispatch, cal)
    case.resolve_due = sla.deadline(now, policy.resolve, cal)
    case.save()
    event = _event(
        case,
        actor=actor,
        action="report",
        now=now,
        to_state=State.REPORTED,
        note=description,
        data={"channel": channel, **(data or {})},
    )
    _attach(case, event, checked, actor)
    log_change(actor=actor, obj=case, action=ChangeAction.CREATE)
    notify.case_reported(case)
    return case


# -- the moves --------------------------------------------------------------------------------


def _lock(case: Case, version: int | None) -> Case:
    """The case row, locked for this transaction; a Conflict if it changed since `version`."""
    locked = Case.objects.select_for_update(of=("self",)).select_related("body", "compound").get(pk=case.pk)
    if version is not None and int(version) != locked.version:
        last = locked.events.order_by("-time", "-pk").first()
        who = f"{last.actor_name}（{timezone.localtime(last.time):%H:%M}）" if last else ""
        raise Conflict(
            _("该事项已被%(who)s处理，当前为“%(state)s”。请刷新页面查看最新情况后再操作，您的操作未保存。")
            % {"who": who, "state": locked.get_state_display()},
            code="conflict",
        )
    return locked


def _apply(case: Case, name: str, *, actor, now, version=None, note: str = "", photos=()):
    """Lock the case, check the version, the table, the actor and the note, and move it; `_finish`
    saves it and writes the timeline and audit rows.

    Returns (the locked case in its new state, its snapshot before, its state before, the cleaned
    note, the checked photos)."""
    move = workflow.get_move(name)
    checked = _check_photos(photos) if photos else []
    locked = _lock(case, version)
    workflow.check_actor(name, roles_on(locked, actor))
    note = (note or "").strip()
    if move.note_required and not note:
        raise ValidationError({"note": [_("请填写%(move)s的说明。") % {"move": move.label}]})
    if len(note) > MAX_DESCRIPTION:
        raise ValidationError({"note": [_("说明不能超过 %(n)s 字。") % {"n": MAX_DESCRIPTION}]})
    before_state = locked.state
    target = workflow.target_state(locked.state, name, resume_state=locked.resume_state)
    before = serialize_object(locked)
    locked.state = target
    locked.version += 1
    return locked, before, before_state, note, checked


def _finish(locked: Case, before, *, actor, name, now, from_state, note, checked=(), data=None, public=True):
    locked.save()
    event = _event(
        locked,
        actor=actor,
        action=name,
        now=now,
        from_state=from_state,
        to_state=locked.state,
        note=note,
        data=data,
        public=public,
    )
    _attach(locked, event, list(checked), actor)
    log_change(actor=actor, obj=locked, action=ChangeAction.UPDATE, before=before, actor_name=_actor_name(actor))
    notify.case_moved(locked, event)
    return locked


def _set_category(locked: Case, category: str | None, priority: str | None) -> dict:
    """A dispatcher confirms or changes the category (and priority); the clocks follow."""
    changes = {}
    if category:
        if category not in Category.values:
            raise ValidationError({"category": [_("未知的事项类别“%(code)s”。") % {"code": category}]})
        if category != locked.category:
            changes["category"] = [locked.category, category]
        locked.category = category
        locked.category_confirmed = True
    if priority:
        if priority not in Priority.values:
            raise ValidationError({"priority": [_("请选择紧急程度。")]})
        if priority != locked.priority:
            changes["priority"] = [locked.priority, priority]
        locked.priority = priority
    if changes:
        policy = policy_for(locked.category, locked.priority)
        cal = calendar()
        locked.dispatch_due = sla.deadline(locked.reported_at, policy.dispatch, cal)
        locked.resolve_due = sla.deadline(locked.reported_at, policy.resolve, cal)
    return changes


@transaction.atomic
def register_case(case: Case, *, actor, now, version=None, category=None, priority=None, note="") -> Case:
    """案卷建立: the dispatcher accepts the matter as a case (confirming its category)."""
    locked, before, was, note, _c = _apply(case, "register", actor=actor, now=now, version=version, note=note)
    changes = _set_category(locked, category or locked.category, priority)
    locked.registered_at = now
    return _finish(locked, before, actor=actor, name="register", now=now, from_state=was, note=note, data=changes)


@transaction.atomic
def reject_case(case: Case, *, actor, now, note: str, version=None) -> Case:
    """不予立案, with the reason the reporter is told."""
    locked, before, was, note, _c = _apply(case, "reject", actor=actor, now=now, version=version, note=note)
    locked.closed_at = now
    return _finish(locked, before, actor=actor, name="reject", now=now, from_state=was, note=note)


@transaction.atomic
def merge_case(case: Case, *, actor, now, into: Case, note: str = "", version=None) -> Case:
    """并单: the same matter was reported already; this one follows the other."""
    if into.pk == case.pk:
        raise ValidationError({"into": [_("不能与自身并单。")]})
    target = Case.objects.select_for_update().get(pk=into.pk)
    if not target.is_open:
        raise ValidationError({"into": [_("只能并入尚未办结的事项。")]})
    if target.street_id != case.street_id:
        raise ValidationError({"into": [_("只能并入同一街道的事项。")]})
    locked, before, was, note, _c = _apply(case, "merge", actor=actor, now=now, version=version, note=note)
    locked.merged_into = target
    locked.closed_at = now
    data = {"into": target.pk, "into_number": target.number}
    _event(
        target,
        public=False,
        actor=actor,
        action="merged_in",
        now=now,
        note=note,
        data={"from": locked.pk, "from_number": locked.number},
    )
    return _finish(locked, before, actor=actor, name="merge", now=now, from_state=was, note=note, data=data)


def _check_body(locked: Case, body: HandlingBody) -> None:
    if body is None:
        raise ValidationError({"body": [_("请选择处理主体。")]})
    if not body.is_active:
        raise ValidationError({"body": [_("该处理主体已停用。")]})
    place = routing.Place.of(locked)
    if not routing.nearby_bodies(place).filter(pk=body.pk).exists():
        raise ValidationError({"body": [_("“%(body)s”不负责该事项所在区域。") % {"body": body}]})


def _start_dispatch(locked: Case, body: HandlingBody, *, actor, now) -> None:
    policy = policy_for(locked.category, locked.priority)
    cal = calendar()
    Dispatch.objects.filter(case=locked, ended_at=None).update(ended_at=now)
    locked.body = body
    locked.tier = body.tier
    locked.dispatched_at = now
    locked.first_dispatched_at = locked.first_dispatched_at or now
    locked.accept_due = sla.deadline(now, policy.accept, cal)
    locked.plan_due = sla.deadline(now, policy.plan, cal)
    locked.accepted_at = None
    Dispatch.objects.create(
        case=locked, body=body, dispatched_at=now, dispatched_by=_user(actor), accept_due=locked.accept_due
    )


@transaction.atomic
def dispatch_case(
    case: Case, *, actor, now, body: HandlingBody, version=None, category=None, priority=None, note=""
) -> Case:
    """任务派遣 (and 改派 of a returned case). A reported case is registered on the way."""
    locked = _lock(case, version)
    if locked.state == State.REPORTED:
        locked = register_case(locked, actor=actor, now=now, category=category, priority=priority)
        version = None
    name = "dispatch"
    locked, before, was, note, _c = _apply(locked, name, actor=actor, now=now, version=version, note=note)
    changes = _set_category(locked, category, priority)
    _check_body(locked, body)
    _start_dispatch(locked, body, actor=actor, now=now)
    data = {"body": body.pk, "body_name": body.name, **changes}
    if locked.suggested_body_id and locked.suggested_body_id != body.pk:
        data["suggested_body"] = locked.suggested_body_id
    return _finish(locked, before, actor=actor, name=name, now=now, from_state=was, note=note, data=data)


@transaction.atomic
def redispatch_case(case: Case, *, actor, now, body: HandlingBody, note: str, version=None) -> Case:
    """改派 a case still waiting to be accepted to another body."""
    locked, before, was, note, _c = _apply(case, "redispatch", actor=actor, now=now, version=version, note=note)
    if locked.body_id == body.pk:
        raise ValidationError({"body": [_("改派对象与当前处理主体相同。")]})
    _check_body(locked, body)
    old = locked.body
    _start_dispatch(locked, body, actor=actor, now=now)
    data = {"body": body.pk, "body_name": body.name, "from_body": old.pk if old else None}
    return _finish(locked, before, actor=actor, name="redispatch", now=now, from_state=was, note=note, data=data)


@transaction.atomic
def accept_case(case: Case, *, actor, now, version=None, note="") -> Case:
    """签收."""
    locked, before, was, note, _c = _apply(case, "accept", actor=actor, now=now, version=version, note=note)
    locked.accepted_at = now
    Dispatch.objects.filter(case=locked, ended_at=None).update(accepted_at=now)
    return _finish(locked, before, actor=actor, name="accept", now=now, from_state=was, note=note)


@transaction.atomic
def return_case(case: Case, *, actor, now, note: str, version=None) -> Case:
    """退单: not ours (wrong recipient), with the reason; the dispatcher re-dispatches (改派)."""
    locked, before, was, note, _c = _apply(case, "return", actor=actor, now=now, version=version, note=note)
    body = locked.body
    Dispatch.objects.filter(case=locked, ended_at=None).update(returned_at=now, return_reason=note[:300], ended_at=now)
    locked.return_count += 1
    locked.body = None
    locked.accept_due = locked.plan_due = None
    data = {"body": body.pk if body else None, "body_name": body.name if body else ""}
    return _finish(locked, before, actor=actor, name="return", now=now, from_state=was, note=note, data=data)


@transaction.atomic
def plan_case(case: Case, *, actor, now, note: str, version=None) -> Case:
    """A solution plan (解决方案), due within 24 hours of dispatch by default."""
    locked, before, was, note, _c = _apply(case, "plan", actor=actor, now=now, version=version, note=note)
    locked.planned_at = now
    return _finish(locked, before, actor=actor, name="plan", now=now, from_state=was, note=note)


@transaction.atomic
def handle_case(case: Case, *, actor, now, note: str, photos=(), version=None) -> Case:
    """处置反馈: the body reports it done, with evidence."""
    locked, before, was, note, checked = _apply(
        case, "handle", actor=actor, now=now, version=version, note=note, photos=photos
    )
    locked.handled_at = now
    locked.handled_on_time = locked.resolve_due is None or now <= locked.resolve_due
    locked.planned_at = locked.planned_at or now
    return _finish(locked, before, actor=actor, name="handle", now=now, from_state=was, note=note, checked=checked)


@transaction.atomic
def verify_case(case: Case, *, actor, now, note: str = "", photos=(), version=None) -> Case:
    """核实: the grid worker checks on the spot; the reporter is asked to rate."""
    locked, before, was, note, checked = _apply(
        case, "verify", actor=actor, now=now, version=version, note=note, photos=photos
    )
    locked.verified_at = now
    return _finish(locked, before, actor=actor, name="verify", now=now, from_state=was, note=note, checked=checked)


@transaction.atomic
def rework_case(case: Case, *, actor, now, note: str, photos=(), version=None) -> Case:
    """返工: not done as reported; back to the same body."""
    locked, before, was, note, checked = _apply(
        case, "rework", actor=actor, now=now, version=version, note=note, photos=photos
    )
    locked.rework_count += 1
    locked.handled_at = None
    locked.handled_on_time = None
    return _finish(locked, before, actor=actor, name="rework", now=now, from_state=was, note=note, checked=checked)


@transaction.atomic
def rate_case(case: Case, *, actor, now, solved: bool, satisfaction: str, comment: str = "", version=None) -> Case:
    """综合评价: the reporter says whether it was solved and how satisfied they are; the case closes."""
    if satisfaction not in Satisfaction.values:
        raise ValidationError({"satisfaction": [_("请选择满意、基本满意或不满意。")]})
    if solved not in (True, False):
        raise ValidationError({"solved": [_("请选择问题是否已解决。")]})
    if len(comment or "") > 500:
        raise ValidationError({"comment": [_("评价意见不能超过 500 字。")]})
    locked, before, was, note, _c = _apply(case, "rate", actor=actor, now=now, version=version, note=comment)
    locked.solved, locked.satisfaction, locked.rating_comment = solved, satisfaction, note
    locked.rated_at = locked.closed_at = now
    on_behalf = not isinstance(actor, ReporterLink) and locked.reporter_user_id != getattr(actor, "pk", None)
    data = {"solved": solved, "satisfaction": satisfaction, "on_behalf": on_behalf}
    return _finish(locked, before, actor=actor, name="rate", now=now, from_state=was, note=note, data=data)


@transaction.atomic
def close_case(case: Case, *, actor, now, note: str, version=None) -> Case:
    """结案 by the centre without a rating (no way to reach the reporter), with the reason."""
    locked, before, was, note, _c = _apply(case, "close", actor=actor, now=now, version=version, note=note)
    locked.closed_at = now
    return _finish(locked, before, actor=actor, name="close", now=now, from_state=was, note=note)


@transaction.atomic
def expire_rating(case: Case, *, now) -> Case:
    """Not rated within the window: closed with no rating."""
    locked, before, was, _note, _c = _apply(case, "expire", actor=None, now=now, note="")
    locked.closed_at = now
    return _finish(locked, before, actor=None, name="expire", now=now, from_state=was, note=_("评价期已过，自动结案。"))


@transaction.atomic
def reopen_case(case: Case, *, actor, now, note: str, version=None) -> Case:
    """重新办理: the reporter says it is not solved, within the window after closing."""
    locked, before, was, note, _c = _apply(case, "reopen", actor=actor, now=now, version=version, note=note)
    if locked.closed_at is None or now > locked.closed_at + reopen_window():
        raise ValidationError(_("结案已超过 %(n)s 天，不能重新办理，请重新反映。") % {"n": reopen_window().days})
    if locked.body is None:
        raise IllegalTransition(_("该事项没有处理主体，不能重新办理。"))
    locked.reopen_count += 1
    locked.closed_at = locked.verified_at = locked.handled_at = locked.rated_at = None
    locked.solved, locked.satisfaction, locked.rating_comment, locked.handled_on_time = None, "", "", None
    policy = policy_for(locked.category, locked.priority)
    locked.resolve_due = sla.deadline(now, policy.resolve, calendar())
    _start_dispatch(locked, locked.body, actor=actor, now=now)
    data = {"body": locked.body_id, "body_name": locked.body.name}
    return _finish(locked, before, actor=actor, name="reopen", now=now, from_state=was, note=note, data=data)


@transaction.atomic
def suspend_case(case: Case, *, actor, now, note: str, version=None) -> Case:
    """缓办/挂账: approved by the centre with a written explanation; the clock stops."""
    locked, before, was, note, _c = _apply(case, "suspend", actor=actor, now=now, version=version, note=note)
    locked.resume_state = was
    locked.suspended_at = now
    return _finish(locked, before, actor=actor, name="suspend", now=now, from_state=was, note=note)


@transaction.atomic
def resume_case(case: Case, *, actor, now, note: str = "", version=None) -> Case:
    """恢复办理: the clock continues with the time that was left."""
    locked, before, was, note, _c = _apply(case, "resume", actor=actor, now=now, version=version, note=note)
    if locked.resolve_due and locked.suspended_at:
        unit = policy_for(locked.category, locked.priority).resolve.unit
        locked.resolve_due = sla.resume_deadline(locked.resolve_due, locked.suspended_at, now, unit, calendar())
    locked.resume_state = ""
    locked.suspended_at = None
    return _finish(locked, before, actor=actor, name="resume", now=now, from_state=was, note=note)


@transaction.atomic
def request_suspension(case: Case, *, actor, now, note: str) -> CaseEvent:
    """A handler asks the centre to suspend (缓办申请); the centre approves by suspending."""
    locked = _lock(case, None)
    if Actor.HANDLER not in roles_on(locked, actor) or locked.state not in (State.ACCEPTED, State.PLANNED):
        raise IllegalTransition(_("只有正在办理该事项的处理主体可以申请缓办。"))
    if not (note or "").strip():
        raise ValidationError({"note": [_("请写明申请缓办的理由。")]})
    event = _event(locked, actor=actor, action="suspend_request", now=now, note=note.strip(), public=False)
    notify.to_dispatchers(
        locked,
        "case.suspend_request",
        _("%(number)s 申请缓办：%(note)s") % {"number": locked.number, "note": note.strip()[:80]},
    )
    return event


@transaction.atomic
def escalate_case(case: Case, *, actor, now, note: str, version=None) -> Case:
    """上报上级: the case goes up one level (grid → community → street → district), keeping its
    history and its resolve clock; the level above re-dispatches it."""
    locked, before, was, note, _c = _apply(case, "escalate", actor=actor, now=now, version=version, note=note)
    current = locked.tier
    above = workflow.next_tier(current)
    if above is None:
        raise IllegalTransition(_("该事项已在区级部门，不能再上报。"))
    Dispatch.objects.filter(case=locked, ended_at=None).update(ended_at=now)
    body, _rule = routing.route_upward(locked.category, routing.Place.of(locked), current)
    locked.tier = (
        body.tier if body is not None and TIER_ORDER.index(Tier(body.tier)) > TIER_ORDER.index(Tier(current)) else above
    )
    locked.suggested_body = body
    locked.body = None
    locked.escalation_count += 1
    locked.accept_due = locked.plan_due = None
    policy = policy_for(locked.category, locked.priority)
    locked.dispatch_due = sla.deadline(now, policy.dispatch, calendar())
    data = {"from_tier": current, "to_tier": locked.tier, "suggested_body": body.pk if body else None}
    return _finish(locked, before, actor=actor, name="escalate", now=now, from_state=was, note=note, data=data)


@transaction.atomic
def comment_case(case: Case, *, actor, now, note: str, public: bool = False, photos=()) -> CaseEvent:
    """A note in the timeline (no state change): a call with the reporter, a finding on site."""
    checked = _check_photos(photos) if photos else []
    locked = _lock(case, None)
    roles = roles_on(locked, actor) - {Actor.SYSTEM}
    if not roles:
        raise IllegalTransition(_("您无权在该事项中留言。"))
    if not (note or "").strip():
        raise ValidationError({"note": [_("请填写内容。")]})
    event = _event(locked, actor=actor, action="comment", now=now, note=note.strip()[:MAX_DESCRIPTION], public=public)
    _attach(locked, event, checked, actor)
    return event


# -- duplicates (并单 suggestions) -------------------------------------------------------------


def _bigrams(text: str) -> set[str]:
    chars = [c for c in text if not c.isspace() and c not in "，。！？、,.!?；;：:“”\"'（）()"]
    return {a + b for a, b in itertools.pairwise(chars)}


def similarity(a: str, b: str) -> float:
    """Jaccard similarity of character bigrams (0–1): enough to tell the same complaint apart."""
    x, y = _bigrams(a), _bigrams(b)
    return len(x & y) / len(x | y) if x and y else 0.0


def duplicate_candidates(case: Case, *, metres: float | None = None, min_similarity: float | None = None, limit=5):
    """Open cases of the same category within `metres` and with similar text, most similar first."""
    metres = metres if metres is not None else getattr(settings, "GONGZHI_DUPLICATE_METRES", 300)
    threshold = min_similarity if min_similarity is not None else getattr(settings, "GONGZHI_DUPLICATE_SIMILARITY", 0.2)
    qs = Case.objects.filter(
        street_id=case.street_id,
        category=case.category,
        state__in=OPEN_STATES,
    ).exclude(pk=case.pk)
    if case.lat is not None and case.lon is not None:
        dlat = metres / 111_320
        dlon = metres / (111_320 * max(0.2, abs(math.cos(math.radians(case.lat)))))
        qs = qs.filter(lat__range=(case.lat - dlat, case.lat + dlat), lon__range=(case.lon - dlon, case.lon + dlon))
    else:
        qs = qs.filter(grid_id=case.grid_id)
    scored = []
    for other in qs.order_by("-reported_at")[:200]:
        score = similarity(case.description, other.description)
        if score >= threshold:
            scored.append((score, other))
    scored.sort(key=lambda pair: (-pair[0], -pair[1].pk))
    return [(other, round(score, 3)) for score, other in scored[:limit]]


# -- the whistle (吹哨报到) -------------------------------------------------------------------


@transaction.atomic
def blow_whistle(
    case: Case, *, actor, now, reason: str, bodies: Iterable[HandlingBody], note: str, minutes: int | None = None
) -> Whistle:
    """吹哨: the community or street summons departments; each must report in within the limit."""
    locked = _lock(case, None)
    if not in_scope(actor, "cases.whistle", locked):
        raise IllegalTransition(_("只有事项所在的社区或街道可以吹哨。"))
    if not locked.is_open or locked.state in (State.REPORTED, State.VERIFIED):
        raise IllegalTransition(_("事项当前为“%(state)s”，不能吹哨。") % {"state": locked.get_state_display()})
    if reason not in WhistleReason.values:
        raise ValidationError({"reason": [_("请选择吹哨事由（解决不了、综合执法、应急处置）。")]})
    bodies = list(dict.fromkeys(bodies))
    if not bodies:
        raise ValidationError({"bodies": [_("请选择至少一个报到部门。")]})
    if not (note or "").strip():
        raise ValidationError({"note": [_("请写明吹哨情况说明。")]})
    minutes = minutes if minutes is not None else whistle_minutes()
    if not 5 <= int(minutes) <= 24 * 60:
        raise ValidationError({"minutes": [_("报到时限应在 5 分钟到 24 小时之间。")]})
    place = routing.Place.of(locked)
    allowed = set(routing.nearby_bodies(place).values_list("pk", flat=True))
    for body in bodies:
        if body.pk not in allowed:
            raise ValidationError({"bodies": [_("“%(body)s”不负责该事项所在区域。") % {"body": body}]})
    tier = Tier.STREET if in_scope(actor, "cases.whistle", locked.street) else Tier.COMMUNITY
    whistle = Whistle.objects.create(
        case=locked, reason=reason, note=note.strip(), blown_by=actor, blown_at=now, tier=tier,
        report_minutes=int(minutes), grid_id=locked.grid_id, community_id=locked.community_id,
        street_id=locked.street_id, district_id=locked.district_id,
    )  # fmt: skip
    due = now + datetime.timedelta(minutes=int(minutes))
    for body in bodies:
        Summons.objects.create(whistle=whistle, body=body, due_at=due)
    log_change(actor=actor, obj=whistle, action=ChangeAction.CREATE)
    names = "、".join(b.name for b in bodies)
    _event(
        locked,
        actor=actor,
        action="whistle",
        now=now,
        note=note.strip(),
        data={
            "whistle": whistle.pk,
            "reason": reason,
            "bodies": [b.pk for b in bodies],
            "names": names,
            "due": due.isoformat(),
        },
    )
    notify.whistle_blown(whistle, bodies)
    return whistle


@transaction.atomic
def report_in(summons: Summons, *, actor, now, note: str = "") -> Summons:
    """报到: a summoned department arrives (late if after the deadline — recorded, not refused)."""
    locked = Summons.objects.select_for_update(of=("self",)).select_related("whistle__case", "body").get(pk=summons.pk)
    if not (actor.is_superuser or locked.body_id in body_ids(actor)):
        raise IllegalTransition(_("只有被召集部门的工作人员可以报到。"))
    if locked.arrived_at is not None:
        arrived = timezone.localtime(locked.arrived_at)
        raise ValidationError(_("该部门已于 %(time)s 报到。") % {"time": f"{arrived:%m-%d %H:%M}"})
    if locked.whistle.closed_at is not None:
        raise IllegalTransition(_("该次吹哨已结束。"))
    before = serialize_object(locked)
    locked.arrived_at, locked.arrived_by, locked.arrival_note = now, actor, (note or "").strip()[:300]
    locked.save()
    log_change(actor=actor, obj=locked, action=ChangeAction.UPDATE, before=before)
    late = now > locked.due_at
    _event(
        locked.whistle.case,
        actor=actor,
        action="report_in",
        now=now,
        note=locked.arrival_note,
        data={"whistle": locked.whistle_id, "body": locked.body_id, "body_name": locked.body.name, "late": late},
        public=False,
    )
    return locked


@transaction.atomic
def evaluate_summons(summons: Summons, *, actor, now, score: int, note: str = "") -> Summons:
    """The street's (or community's) evaluation of a summoned department (评价权)."""
    locked = Summons.objects.select_for_update(of=("self",)).select_related("whistle__case", "body").get(pk=summons.pk)
    if not in_scope(actor, "cases.whistle", locked.whistle.case):
        raise IllegalTransition(_("只有吹哨的社区或街道可以评价报到部门。"))
    try:
        score = int(score)
    except (TypeError, ValueError):
        score = 0
    if not 1 <= score <= 5:
        raise ValidationError({"score": [_("评分应为 1–5 分。")]})
    before = serialize_object(locked)
    locked.score, locked.evaluation, locked.evaluated_by = score, (note or "").strip()[:300], actor
    locked.save()
    log_change(actor=actor, obj=locked, action=ChangeAction.UPDATE, before=before)
    _event(
        locked.whistle.case,
        actor=actor,
        action="evaluate",
        now=now,
        note=locked.evaluation,
        data={"body": locked.body_id, "body_name": locked.body.name, "score": score},
        public=False,
    )
    return locked


@transaction.atomic
def close_whistle(whistle: Whistle, *, actor, now, note: str = "") -> Whistle:
    locked = Whistle.objects.select_for_update().get(pk=whistle.pk)
    if not in_scope(actor, "cases.whistle", locked):
        raise IllegalTransition(_("只有吹哨的社区或街道可以结束吹哨。"))
    if locked.closed_at is not None:
        raise ValidationError(_("该次吹哨已结束。"))
    before = serialize_object(locked)
    locked.closed_at = now
    locked.save()
    log_change(actor=actor, obj=locked, action=ChangeAction.UPDATE, before=before)
    _event(
        locked.case,
        actor=actor,
        action="whistle_closed",
        now=now,
        note=(note or "").strip(),
        data={"whistle": locked.pk},
        public=False,
    )
    return locked


# -- the sweep: reminders (催办), escalation on a broken SLA, closing unrated cases ------------------


WAITING_DISPATCH = (State.REPORTED, State.REGISTERED, State.RETURNED)
RESOLVE_RUNNING = (*WAITING_DISPATCH, State.DISPATCHED, State.ACCEPTED, State.PLANNED)


def running_clocks(case: Case) -> list[tuple[str, datetime.datetime]]:
    """The clocks a case runs against in its state, with their deadlines (suspended: none)."""
    clocks: list[tuple[str, datetime.datetime | None]] = []
    if case.state in WAITING_DISPATCH:
        clocks.append((SlaPhase.DISPATCH, case.dispatch_due))
    if case.state == State.DISPATCHED:
        clocks.append((SlaPhase.ACCEPT, case.accept_due))
    if case.state == State.ACCEPTED and case.planned_at is None:
        clocks.append((SlaPhase.PLAN, case.plan_due))
    if case.state in RESOLVE_RUNNING:
        clocks.append((SlaPhase.RESOLVE, case.resolve_due))
    return [(phase, due) for phase, due in clocks if due is not None]


def phase_due(case: Case) -> tuple[str, datetime.datetime | None]:
    """The clock that binds now (the earliest running deadline), or ("", None) when stopped."""
    clocks = running_clocks(case)
    if not clocks:
        return "", None
    return min(clocks, key=lambda clock: clock[1])


def sla_state(case: Case, now: datetime.datetime) -> str:
    phase, due = phase_due(case)
    started = case.dispatched_at if phase in (SlaPhase.ACCEPT, SlaPhase.PLAN) else case.reported_at
    return sla.sla_state(due, now, started=started or case.reported_at, stopped=due is None)


def overdue_q(now: datetime.datetime) -> Q:
    """Cases overdue at `now`, as a filter (derived from deadlines: no timer needs to have fired)."""
    return (
        Q(state__in=WAITING_DISPATCH, dispatch_due__lt=now)
        | Q(state=State.DISPATCHED, accept_due__lt=now)
        | Q(state=State.ACCEPTED, planned_at=None, plan_due__lt=now)
        | Q(state__in=RESOLVE_RUNNING, resolve_due__lt=now)
    )


def due_soon_q(now: datetime.datetime, within: datetime.timedelta = datetime.timedelta(hours=2)) -> Q:
    soon = now + within
    return (
        Q(state__in=WAITING_DISPATCH, dispatch_due__range=(now, soon))
        | Q(state=State.DISPATCHED, accept_due__range=(now, soon))
        | Q(state=State.ACCEPTED, planned_at=None, plan_due__range=(now, soon))
        | Q(state__in=RESOLVE_RUNNING, resolve_due__range=(now, soon))
    )


@dataclass
class SweepResult:
    reminded: int = 0
    escalated: int = 0
    expired: int = 0
    whistles_late: int = 0


def sweep(*, now: datetime.datetime) -> SweepResult:
    """Run by the periodic task: remind (催办) every overdue phase once, move a case whose resolve
    clock broke one level up (up to the street), close cases not rated within the window, and
    tell the whistle-blower of departments late to report in. Each case in its own transaction."""
    result = SweepResult()
    for case in Case.objects.filter(overdue_q(now)).select_related("body").order_by("pk"):
        for phase, due in running_clocks(case):
            if due >= now:
                continue
            with transaction.atomic():
                reminder, created = Reminder.objects.get_or_create(
                    case=case, phase=phase, due=due, defaults={"time": now}
                )
                if created:
                    Case.objects.filter(pk=case.pk).update(reminder_count=F("reminder_count") + 1)
                    _event(
                        case,
                        actor=None,
                        action="remind",
                        now=now,
                        data={"phase": phase, "due": due.isoformat()},
                        public=False,
                    )
                    notify.reminder(case, phase, due)
                    result.reminded += 1
                if (
                    phase == SlaPhase.RESOLVE
                    and not reminder.escalated
                    and case.tier in (Tier.GRID, Tier.COMMUNITY)
                    and case.state in workflow.MOVES["escalate"].sources
                ):
                    escalate_case(case, actor=None, now=now, note=_("办结时限已过，系统自动上报上一级。"))
                    Reminder.objects.filter(pk=reminder.pk).update(escalated=True)
                    result.escalated += 1
    cutoff = now - rating_window()
    for case in Case.objects.filter(state=State.VERIFIED, verified_at__lt=cutoff).order_by("pk"):
        expire_rating(case, now=now)
        result.expired += 1
    late = Summons.objects.filter(arrived_at=None, due_at__lt=now, whistle__closed_at=None).select_related(
        "whistle__case", "body"
    )
    for summons in late.filter(reminded_at=None):
        with transaction.atomic():
            if Summons.objects.filter(pk=summons.pk, reminded_at=None).update(reminded_at=now):
                notify.summons_late(summons)
                result.whistles_late += 1
    return result
