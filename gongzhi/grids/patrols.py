"""日巡查、日走访: the grid worker's patrols — writes, route rules and the hours against the standard.

A patrol is made on the phone and may reach the server many times: when it starts, while it goes
on, when it ends, and again after every lost answer. `submit_patrol` takes the whole patrol as the
phone has it each time and leaves exactly one patrol: the route is the union of every point ever
received (validated, in time order, exact duplicates dropped), each entry is stored once (its own
`client_id`), and a problem entry becomes one case through `cases.services.report_case`.

The distance and the hours are pure functions of the stored data (`route_distance_m`,
`month_figures`, `day_figures`); time is an argument (`now`).
"""

from __future__ import annotations

import calendar
import datetime
import math
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import django_filters
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gongzhi.accounts.choices import Level, Role
from gongzhi.accounts.models import Assignment, User
from gongzhi.accounts.roles import GRIDS_PATROL, TERRITORY_VIEW
from gongzhi.core.audit import log_change, serialize_object
from gongzhi.core.choices import ChangeAction
from gongzhi.territory.geometry import LAT_RANGE, LON_RANGE
from gongzhi.territory.models import Grid

from .choices import EntryKind, PatrolStatus
from .models import GridStandard, Patrol, PatrolEntry

# -- the rules ------------------------------------------------------------------------------------

DEFAULT_PATROL_MINUTES = 120  # S2 四: two hours a day, when a district has no GridStandard row
MAX_ACCURACY_M = 100.0  # points the phone reports with a worse accuracy do not count for the distance
MAX_SPEED_KMH = 30.0  # a step faster than this is a GPS jump (or a ride), not walking
EARTH_RADIUS_M = 6_371_008.8  # the mean radius (IUGG)
MAX_ROUTE_POINTS = 20_000  # about 5.5 hours at one point a second
MAX_ENTRIES = 200
MAX_TEXT = 2000
MAX_PATROL = datetime.timedelta(hours=24)  # a patrol longer than this was left running by mistake
CLOCK_SKEW = datetime.timedelta(minutes=5)  # how far a phone's clock may run ahead of the server's
SAME_TIME = datetime.timedelta(seconds=1)  # a resent start/end time equal within this is the same time
MAX_PHOTO_BYTES = 10 * 1024 * 1024
PHOTO_TYPES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG": "image/png", b"RIFF": "image/webp", b"GIF8": "image/gif"}
SHANGHAI = ZoneInfo("Asia/Shanghai")


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


# -- route: validation, merging and distance (pure) ---------------------------------------------------

Point = list  # [lon, lat, unix seconds, accuracy metres or None]


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _plain_number(value: float, digits: int) -> int | float:
    value = round(value, digits)
    return int(value) if value.is_integer() else value


def clean_route(raw: Any, *, start: datetime.datetime, end: datetime.datetime) -> list[Point]:
    """The route points of one submission, checked: each `[lon, lat, unix_s]` or `[lon, lat, unix_s,
    accuracy_m]` of numbers, inside China, recorded between `start` and `end` (with the clock skew
    allowed), in time order. Exact duplicates are dropped. Raises ValidationError({"route": [...]})."""
    if raw in (None, ""):
        return []
    if not isinstance(raw, (list, tuple)):
        raise ValidationError({"route": [_("轨迹应为点的列表：[[经度, 纬度, 时间, 精度], …]。")]})
    if len(raw) > MAX_ROUTE_POINTS:
        raise ValidationError(
            {
                "route": [
                    _("轨迹点太多（%(n)s 个），一次巡查最多 %(max)s 个点。") % {"n": len(raw), "max": MAX_ROUTE_POINTS}
                ]
            }
        )
    earliest, latest = (start - CLOCK_SKEW).timestamp(), (end + CLOCK_SKEW).timestamp()
    errors: list[str] = []
    points: list[Point] = []
    seen: set[tuple] = set()
    previous: float | None = None
    for n, item in enumerate(raw, start=1):
        if len(errors) >= 5:
            break
        if not isinstance(item, (list, tuple)) or len(item) not in (3, 4):
            errors.append(_("第 %(n)s 个轨迹点应为 [经度, 纬度, 时间, 精度]。") % {"n": n})
            continue
        lon, lat, t = (_number(v) for v in item[:3])
        acc = _number(item[3]) if len(item) == 4 and item[3] is not None else None
        if lon is None or lat is None or t is None or (len(item) == 4 and item[3] is not None and acc is None):
            errors.append(_("第 %(n)s 个轨迹点的经纬度、时间和精度必须是数字。") % {"n": n})
            continue
        if not (LON_RANGE[0] <= lon <= LON_RANGE[1] and LAT_RANGE[0] <= lat <= LAT_RANGE[1]):
            errors.append(_("第 %(n)s 个轨迹点超出中国范围（经度 73–136，纬度 3–54）。") % {"n": n})
            continue
        if acc is not None and acc < 0:
            errors.append(_("第 %(n)s 个轨迹点的精度不能为负数。") % {"n": n})
            continue
        if not earliest <= t <= latest:
            errors.append(_("第 %(n)s 个轨迹点的时间不在本次巡查的起止时间之内。") % {"n": n})
            continue
        if previous is not None and t < previous:
            errors.append(_("第 %(n)s 个轨迹点的时间早于前一个点：轨迹应按时间顺序排列。") % {"n": n})
            continue
        previous = t
        point = [
            _plain_number(lon, 7),
            _plain_number(lat, 7),
            _plain_number(t, 3),
            None if acc is None else _plain_number(acc, 1),
        ]
        key = tuple(point)
        if key in seen:
            continue
        seen.add(key)
        points.append(point)
    if errors:
        raise ValidationError({"route": errors})
    return points


def _point_key(point: Sequence) -> tuple:
    return (point[2], point[0], point[1], -1 if point[3] is None else point[3])


def merge_routes(stored: Iterable[Sequence], received: Iterable[Sequence]) -> list[Point]:
    """Every point of both routes once, in time order (a resend adds what is new, never doubles)."""
    merged: dict[tuple, Point] = {}
    for point in (*stored, *received):
        p = [*point, None][:4] if len(point) == 3 else list(point)
        merged.setdefault(tuple(p), p)
    return sorted(merged.values(), key=_point_key)


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """The great-circle distance between two points in metres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlmb = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def route_distance_m(
    route: Iterable[Sequence], *, max_accuracy_m: float = MAX_ACCURACY_M, max_speed_kmh: float = MAX_SPEED_KMH
) -> int:
    """The walked distance in whole metres: the sum of the steps between kept points.

    A point whose accuracy is worse than `max_accuracy_m` is skipped. A step from the last kept
    point that would mean moving faster than `max_speed_kmh` (or moving in no time) is a jump: the
    point is skipped and the next one is measured from the last kept point again.
    """
    max_speed = max_speed_kmh * 1000 / 3600
    total = 0.0
    anchor: Sequence | None = None
    for point in route:
        acc = point[3] if len(point) > 3 else None
        if acc is not None and acc > max_accuracy_m:
            continue
        if anchor is None:
            anchor = point
            continue
        step = haversine_m(anchor[0], anchor[1], point[0], point[1])
        seconds = point[2] - anchor[2]
        if step == 0:
            continue
        if seconds <= 0 or step / seconds > max_speed:
            continue
        total += step
        anchor = point
    return round(total)


# -- times and entries --------------------------------------------------------------------------------


def parse_time(value: Any, name: str, *, required: bool = False) -> datetime.datetime | None:
    """An aware datetime from a datetime or an ISO 8601 text (a time without offset is local time)."""
    if value in (None, ""):
        if required:
            raise ValidationError({name: [_("请填写时间。")]})
        return None
    moment: datetime.datetime | None = None
    if isinstance(value, datetime.datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = parse_datetime(value.strip())
        except ValueError:
            moment = None
    if moment is None:
        raise ValidationError({name: [_("时间格式不正确，应为 ISO 8601（如 2026-12-01T09:30:00+08:00）。")]})
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=local_zone())
    return moment


def parse_uuid(value: Any, name: str) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value or "").strip())
    except ValueError:
        raise ValidationError({name: [_("编号应为 UUID。")]}) from None


@dataclass(frozen=True)
class EntryIn:
    """One entry as the phone sent it, checked."""

    client_id: uuid.UUID
    kind: str
    text: str
    time: datetime.datetime
    lon: float | None = None
    lat: float | None = None


def clean_entries(raw: Any, *, start: datetime.datetime, end: datetime.datetime) -> list[EntryIn]:
    """The entries of one submission, checked; one per client_id (a repeated one is the same entry)."""
    if raw in (None, ""):
        return []
    if not isinstance(raw, (list, tuple)):
        raise ValidationError({"entries": [_("记录应为列表。")]})
    if len(raw) > MAX_ENTRIES:
        raise ValidationError({"entries": [_("一次巡查最多 %(max)s 条记录。") % {"max": MAX_ENTRIES}]})
    earliest, latest = start - CLOCK_SKEW, end + CLOCK_SKEW
    errors: list[str] = []
    entries: dict[uuid.UUID, EntryIn] = {}
    for n, item in enumerate(raw, start=1):
        if not isinstance(item, Mapping):
            errors.append(_("第 %(n)s 条记录格式不正确。") % {"n": n})
            continue
        try:
            cid = parse_uuid(item.get("client_id"), "entries")
            moment = parse_time(item.get("time"), "entries", required=True)
        except ValidationError as exc:
            errors.append(_("第 %(n)s 条记录：%(error)s") % {"n": n, "error": "".join(exc.messages)})
            continue
        if moment is None:
            continue
        kind = item.get("kind") or EntryKind.NOTE
        text = item.get("text")
        text = text.strip() if isinstance(text, str) else ""
        lon, lat = item.get("lon"), item.get("lat")
        lon_n, lat_n = _number(lon), _number(lat)
        if kind not in EntryKind.values:
            errors.append(_("第 %(n)s 条记录：未知的记录类型“%(kind)s”。") % {"n": n, "kind": kind})
        elif not text:
            errors.append(_("第 %(n)s 条记录：请填写内容。") % {"n": n})
        elif len(text) > MAX_TEXT:
            errors.append(_("第 %(n)s 条记录：内容不能超过 %(max)s 字。") % {"n": n, "max": MAX_TEXT})
        elif not earliest <= moment <= latest:
            errors.append(_("第 %(n)s 条记录：时间不在本次巡查的起止时间之内。") % {"n": n})
        elif (lon is None) != (lat is None):
            errors.append(_("第 %(n)s 条记录：经度和纬度应同时填写。") % {"n": n})
        elif lon is not None and (lon_n is None or lat_n is None):
            errors.append(_("第 %(n)s 条记录：经纬度必须是数字。") % {"n": n})
        elif (
            lon_n is not None
            and lat_n is not None
            and not (LON_RANGE[0] <= lon_n <= LON_RANGE[1] and LAT_RANGE[0] <= lat_n <= LAT_RANGE[1])
        ):
            errors.append(_("第 %(n)s 条记录：位置超出中国范围。") % {"n": n})
        else:
            entries.setdefault(
                cid,
                EntryIn(
                    cid,
                    kind,
                    text,
                    moment,
                    None if lon_n is None else round(lon_n, 7),
                    None if lat_n is None else round(lat_n, 7),
                ),
            )
    if errors:
        raise ValidationError({"entries": errors[:5]})
    return list(entries.values())


# -- who patrols where ----------------------------------------------------------------------------


def patrol_grids(worker):
    """The grids `worker` may patrol (grids.patrol over them), retired grids left out."""
    return Grid.objects.restrict(worker, "patrol", app="grids").filter(retired_on=None)


def may_patrol(worker) -> bool:
    return bool(worker and worker.is_authenticated and worker.has_scope_perm(GRIDS_PATROL))


def default_grid(worker) -> Grid | None:
    """The grid of the worker's grid-worker assignment (the first one); else the only grid they may
    patrol; else None (the worker chooses)."""
    if not may_patrol(worker):
        return None
    assigned = (
        Assignment.objects.filter(user=worker, role=Role.GRID_WORKER, level=Level.GRID, grid__retired_on=None)
        .select_related("grid")
        .order_by("pk")
        .first()
    )
    if assigned is not None:
        return assigned.grid
    grids = list(patrol_grids(worker)[:2])
    return grids[0] if len(grids) == 1 else None


def _grid_for(worker, grid: Any) -> Grid:
    if grid in (None, ""):
        chosen = default_grid(worker)
        if chosen is None:
            raise ValidationError({"grid": [_("请选择巡查的网格。")]})
        return chosen
    grid_id = grid.pk if isinstance(grid, Grid) else grid
    if isinstance(grid_id, bool) or not isinstance(grid_id, (int, str)) or not str(grid_id).isdigit():
        raise ValidationError({"grid": [_("网格编号不正确。")]})
    found = patrol_grids(worker).filter(pk=int(grid_id)).first()
    if found is None:
        raise ValidationError({"grid": [_("您不能在该网格巡查（不在您的辖区内或网格已撤销）。")]})
    return found


# -- writes -------------------------------------------------------------------------------------------


@dataclass
class Submitted:
    """What one submission did: the patrol, whether this call created it, whether anything changed,
    and the problem entries whose case could not be made yet (retried on the next submission)."""

    patrol: Patrol
    created: bool
    changed: bool
    case_errors: dict[str, list[str]] = field(default_factory=dict)


def _snapshot(obj) -> dict:
    return serialize_object(obj)


def _audit(actor, obj, action: str, before: dict | None = None, patrol: Patrol | None = None) -> None:
    log_change(actor=actor, obj=obj, action=action, before=before)


def _lock_worker(worker) -> None:
    """One worker's submissions one after the other: two copies of one resend cannot both create."""
    list(User.objects.select_for_update().filter(pk=worker.pk).values_list("pk", flat=True))


def _same(a: datetime.datetime, b: datetime.datetime) -> bool:
    return abs(a - b) < SAME_TIME


@transaction.atomic
def submit_patrol(*, worker, client_id: Any, payload: Mapping[str, Any], now: datetime.datetime) -> Submitted:
    """Create or complete the patrol `client_id` of `worker` (the actor) from the whole patrol as the
    phone has it: `grid` (id; default: the worker's grid), `started_at`, `ended_at` (when ended),
    `route` ([[lon, lat, unix_s, accuracy_m], …]), `note`, `entries` ([{client_id, kind, text, time,
    lon, lat}, …]).

    Sent again any number of times it leaves one patrol: new route points and entries are added,
    nothing is doubled; the start time, the grid and (once set) the end time cannot change.
    """
    if not may_patrol(worker):
        raise PermissionDenied(_("您没有巡查权限。"))
    cid = parse_uuid(client_id, "client_id")
    if not isinstance(payload, Mapping):
        raise ValidationError({"non_field_errors": [_("提交的巡查数据格式不正确。")]})
    _lock_worker(worker)
    patrol = Patrol.objects.select_for_update().filter(client_id=cid).first()
    if patrol is not None and patrol.worker_id != worker.pk:
        raise ValidationError({"client_id": [_("该巡查编号已被他人使用。")]})

    errors: dict[str, list[str]] = {}

    def collect(fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                errors.setdefault(key, []).extend(messages)
            return None

    started_at = collect(parse_time, payload.get("started_at"), "started_at", required=patrol is None)
    ended_at = collect(parse_time, payload.get("ended_at"), "ended_at")
    grid = patrol.grid if patrol is not None else collect(_grid_for, worker, payload.get("grid"))
    if patrol is not None:
        given = payload.get("grid")
        if given not in (None, "") and str(given.pk if isinstance(given, Grid) else given) != str(patrol.grid_id):
            errors.setdefault("grid", []).append(_("巡查开始后不能更换网格。"))
        if started_at is not None and not _same(started_at, patrol.started_at):
            errors.setdefault("started_at", []).append(_("开始时间与已保存的不一致。"))
        started_at = patrol.started_at
        if patrol.ended_at is not None:
            if ended_at is not None and not _same(ended_at, patrol.ended_at):
                errors.setdefault("ended_at", []).append(_("本次巡查已结束，结束时间不能更改。"))
            ended_at = patrol.ended_at
    if started_at is not None:
        if started_at > now + CLOCK_SKEW:
            errors.setdefault("started_at", []).append(_("开始时间不能晚于当前时间。"))
        if ended_at is not None:
            if ended_at < started_at:
                errors.setdefault("ended_at", []).append(_("结束时间不能早于开始时间。"))
            elif ended_at - started_at > MAX_PATROL:
                errors.setdefault("ended_at", []).append(_("一次巡查不能超过 24 小时。"))
            if ended_at > now + CLOCK_SKEW:
                errors.setdefault("ended_at", []).append(_("结束时间不能晚于当前时间。"))
    note = payload.get("note")
    if note is not None and not isinstance(note, str):
        errors.setdefault("note", []).append(_("巡查小结应为文字。"))
    elif note is not None and len(note.strip()) > MAX_TEXT:
        errors.setdefault("note", []).append(_("巡查小结不能超过 %(max)s 字。") % {"max": MAX_TEXT})
    route: list[Point] = []
    entries: list[EntryIn] = []
    if started_at is not None and not errors:
        window_end = ended_at or max(now, started_at)
        route = collect(clean_route, payload.get("route"), start=started_at, end=window_end) or []
        entries = collect(clean_entries, payload.get("entries"), start=started_at, end=window_end) or []
    if errors:
        raise ValidationError(errors)
    if started_at is None or grid is None:  # reported above; keeps the types narrow
        raise ValidationError({"started_at": [_("请填写时间。")]})

    created = patrol is None
    changed = created
    if patrol is None:
        patrol = Patrol(
            client_id=cid,
            worker=worker,
            grid=grid,
            community_id=grid.community_id,
            street_id=grid.street_id,
            district_id=grid.district_id,
            started_at=started_at,
            ended_at=ended_at,
            status=PatrolStatus.DONE if ended_at else PatrolStatus.OPEN,
            route=route,
            distance_m=route_distance_m(route),
            note=(note or "").strip(),
        )
        patrol.save()
        _audit(worker, patrol, ChangeAction.CREATE)
    else:
        before = _snapshot(patrol)
        merged = merge_routes(patrol.route or [], route)
        updates: dict[str, Any] = {}
        if merged != patrol.route:
            updates.update(route=merged, distance_m=route_distance_m(merged))
        if ended_at is not None and patrol.ended_at is None:
            updates.update(ended_at=ended_at, status=PatrolStatus.DONE)
        if note is not None and note.strip() != patrol.note:
            updates["note"] = note.strip()
        if updates:
            for name, value in updates.items():
                setattr(patrol, name, value)
            patrol.save()
            _audit(worker, patrol, ChangeAction.UPDATE, before=before)
            changed = True

    stored = {e.client_id: e for e in patrol.entries.all()}
    for item in entries:
        if item.client_id in stored:
            continue  # entries are kept as first received: a resend never doubles or rewrites one
        entry = PatrolEntry.objects.create(
            patrol=patrol,
            client_id=item.client_id,
            kind=item.kind,
            text=item.text,
            time=item.time,
            lon=item.lon,
            lat=item.lat,
        )
        _audit(worker, entry, ChangeAction.CREATE, patrol=patrol)
        stored[item.client_id] = entry
        changed = True

    case_errors: dict[str, list[str]] = {}
    for entry in sorted(stored.values(), key=lambda e: (e.time, e.pk)):
        if entry.kind != EntryKind.PROBLEM or entry.case_id is not None:
            continue
        try:
            with transaction.atomic():
                case = report_problem(entry, patrol=patrol, worker=worker, now=now)
        except ValidationError as exc:
            case_errors[str(entry.client_id)] = exc.messages
            continue
        before = _snapshot(entry)
        entry.case = case
        entry.save(update_fields=["case"])
        _audit(worker, entry, ChangeAction.UPDATE, before=before, patrol=patrol)
        changed = True
    return Submitted(patrol=patrol, created=created, changed=changed, case_errors=case_errors)


def report_problem(entry: PatrolEntry, *, patrol: Patrol, worker, now: datetime.datetime):
    """The case for a problem found on patrol (channel grid_app): placed at the entry's point, or in
    the patrol's grid when the entry has no point or its point is outside the worker's grids."""
    from gongzhi.cases import services as cases
    from gongzhi.cases.choices import Channel

    kwargs = {
        "actor": worker,
        "channel": Channel.GRID_APP,
        "description": entry.text,
        "now": now,
        "data": {
            "patrol": str(patrol.client_id),
            "patrol_entry": str(entry.client_id),
            "found_at": entry.time.isoformat(),
        },
    }
    if entry.lon is not None and entry.lat is not None:
        try:
            with transaction.atomic():
                return cases.report_case(lon=entry.lon, lat=entry.lat, **kwargs)
        except ValidationError as exc:
            if "location" not in getattr(exc, "error_dict", {}):
                raise
    return cases.report_case(grid=patrol.grid, **kwargs)


def start_patrol(*, worker, client_id: Any, started_at: Any, now: datetime.datetime, grid: Any = None) -> Patrol:
    """开始巡查: the patrol `client_id` begins (the same call again finds the same patrol).
    `grid` defaults to the worker's grid-worker assignment."""
    return submit_patrol(
        worker=worker, client_id=client_id, payload={"grid": grid, "started_at": started_at}, now=now
    ).patrol


def end_patrol(*, worker, client_id: Any, ended_at: Any, now: datetime.datetime) -> Patrol:
    """结束巡查 (the same call again changes nothing)."""
    return submit_patrol(worker=worker, client_id=client_id, payload={"ended_at": ended_at}, now=now).patrol


def check_photo(photo) -> str:
    """The content type of an uploaded photo, or a ValidationError (size, JPEG/PNG/WebP/GIF)."""
    if photo is None:
        raise ValidationError({"photo": [_("请选择照片。")]})
    if (photo.size or 0) > MAX_PHOTO_BYTES:
        raise ValidationError({"photo": [_("照片超过 10 MB。")]})
    head = photo.read(12)
    photo.seek(0)
    kind = next((t for magic, t in PHOTO_TYPES.items() if head.startswith(magic)), None)
    if kind == "image/webp" and head[8:12] != b"WEBP":
        kind = None
    if kind is None:
        raise ValidationError({"photo": [_("照片应为 JPEG、PNG、WebP 或 GIF 图片。")]})
    return kind


@transaction.atomic
def attach_entry_photo(*, worker, entry: PatrolEntry, photo, now: datetime.datetime) -> tuple[PatrolEntry, bool]:
    """The photo of one entry, uploaded by the patrol's worker. Once an entry has a photo a resent
    upload changes nothing (returns False). A problem entry's photo is added to its case's timeline."""
    locked = PatrolEntry.objects.select_for_update(of=("self",)).select_related("patrol", "case").get(pk=entry.pk)
    if locked.patrol.worker_id != getattr(worker, "pk", None):
        raise PermissionDenied(_("只有巡查人本人可以上传该记录的照片。"))
    if locked.photo:
        return locked, False
    check_photo(photo)
    before = _snapshot(locked)
    locked.photo.save(getattr(photo, "name", "") or "photo.jpg", photo, save=False)
    locked.save(update_fields=["photo"])
    _audit(worker, locked, ChangeAction.UPDATE, before=before, patrol=locked.patrol)
    if locked.case is not None:
        from gongzhi.cases import services as cases

        photo.seek(0)
        try:
            with transaction.atomic():
                cases.comment_case(locked.case, actor=worker, now=now, note=_("巡查现场照片"), photos=[photo])
        except ValidationError:
            pass  # the photo stays with the patrol entry; the case goes on without it
    return locked, True


# -- hours against the standard (pure) ----------------------------------------------------------------


@dataclass(frozen=True)
class Walk:
    """A patrol as the hours see it."""

    worker_id: int
    started_at: datetime.datetime
    ended_at: datetime.datetime | None
    distance_m: int = 0
    problems: int = 0


@dataclass
class DayFigures:
    day: datetime.date
    standard: int
    minutes: int = 0
    count: int = 0
    distance_m: int = 0
    problems: int = 0

    @property
    def met(self) -> bool:
        return self.minutes >= self.standard

    @property
    def shortfall(self) -> int:
        return max(0, self.standard - self.minutes)


@dataclass
class MonthFigures:
    worker_id: int
    month: datetime.date  # the first day
    standard: int
    days: list[DayFigures]
    minutes: int = 0
    count: int = 0
    distance_m: int = 0
    problems: int = 0
    days_met: int = 0  # days (any day so far) with at least the standard
    due_days: int = 0  # completed days of the month on which a patrol was due
    shortfall_minutes: int = 0  # the minutes missing on the due days

    @property
    def hours_label(self) -> str:
        return hours_text(self.minutes)

    @property
    def shortfall_label(self) -> str:
        return hours_text(self.shortfall_minutes)

    @property
    def distance_km(self) -> float:
        return round(self.distance_m / 1000, 1)


def walk_end(walk: Walk, now: datetime.datetime) -> datetime.datetime:
    """When a patrol ends for the hours: its end, or — still open — now, at most MAX_PATROL after its start."""
    end = walk.ended_at if walk.ended_at is not None else min(now, walk.started_at + MAX_PATROL)
    return max(end, walk.started_at)


def merged_intervals(
    walks: Iterable[Walk], now: datetime.datetime
) -> list[tuple[datetime.datetime, datetime.datetime]]:
    """The time covered by the walks, overlapping ones counted once."""
    spans = sorted((w.started_at, walk_end(w, now)) for w in walks)
    merged: list[tuple[datetime.datetime, datetime.datetime]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def seconds_by_day(
    walks: Iterable[Walk], now: datetime.datetime, tz: ZoneInfo = SHANGHAI
) -> dict[datetime.date, float]:
    """Patrolled seconds of one worker per local day (a patrol over midnight counts on both days)."""
    result: dict[datetime.date, float] = defaultdict(float)
    for start, end in merged_intervals(walks, now):
        cursor = start.astimezone(tz)
        end = end.astimezone(tz)
        while cursor < end:
            next_midnight = datetime.datetime.combine(
                cursor.date() + datetime.timedelta(days=1), datetime.time(), tzinfo=tz
            )
            stop = min(end, next_midnight)
            result[cursor.date()] += (stop - cursor).total_seconds()
            cursor = stop
    return dict(result)


def day_figures(
    walks: Iterable[Walk], day: datetime.date, *, standard: int, now: datetime.datetime, tz: ZoneInfo = SHANGHAI
) -> DayFigures:
    """One worker's patrols on one day: minutes (overlaps once, floor), count, distance and problems
    of the patrols started that day."""
    walks = list(walks)
    figures = DayFigures(day=day, standard=standard)
    figures.minutes = int(seconds_by_day(walks, now, tz).get(day, 0) // 60)
    for w in walks:
        if w.started_at.astimezone(tz).date() == day:
            figures.count += 1
            figures.distance_m += w.distance_m
            figures.problems += w.problems
    return figures


def month_figures(
    walks: Iterable[Walk],
    *,
    worker_id: int,
    year: int,
    month: int,
    standard: int,
    now: datetime.datetime,
    tz: ZoneInfo = SHANGHAI,
    is_due: Callable[[datetime.date], bool] | None = None,
) -> MonthFigures:
    """One worker's month against the standard (minutes a day).

    Days run from the 1st to today (or the month's end). `days_met` counts the days with at least
    the standard; the shortfall adds up what was missing on the due days — the completed days (before
    today) for which `is_due` holds (default: every day; the pages pass the working calendar).
    """
    walks = [w for w in walks if w.worker_id == worker_id]
    first = datetime.date(year, month, 1)
    last = datetime.date(year, month, calendar.monthrange(year, month)[1])
    today = now.astimezone(tz).date()
    seconds = seconds_by_day(walks, now, tz)
    days: list[DayFigures] = []
    day = first
    while day <= min(last, today):
        days.append(DayFigures(day=day, standard=standard, minutes=int(seconds.get(day, 0) // 60)))
        day += datetime.timedelta(days=1)
    by_day = {d.day: d for d in days}
    for w in walks:
        figures = by_day.get(w.started_at.astimezone(tz).date())
        if figures is not None:
            figures.count += 1
            figures.distance_m += w.distance_m
            figures.problems += w.problems
    result = MonthFigures(worker_id=worker_id, month=first, standard=standard, days=days)
    for d in days:
        result.minutes += d.minutes
        result.count += d.count
        result.distance_m += d.distance_m
        result.problems += d.problems
        if d.met:
            result.days_met += 1
        if d.day < today and (is_due is None or is_due(d.day)):
            result.due_days += 1
            result.shortfall_minutes += d.shortfall
    return result


def hours_text(minutes: int) -> str:
    """90 → "1:30" (hours:minutes)."""
    return f"{minutes // 60}:{minutes % 60:02d}"


# -- reads for the pages and the API ---------------------------------------------------------------------


def visible_patrols(user):
    """Patrols in the user's territory (territory.view over their grid) and the user's own."""
    if user is None or not user.is_authenticated:
        return Patrol.objects.none()
    return Patrol.objects.restrict(user, "view") | Patrol.objects.filter(worker=user)


def may_see_patrols(user) -> bool:
    return bool(
        user and user.is_authenticated and (user.has_scope_perm(TERRITORY_VIEW) or user.has_scope_perm(GRIDS_PATROL))
    )


def with_counts(queryset):
    return queryset.annotate(
        entry_count=Count("entries", distinct=True),
        problem_count=Count("entries", filter=Q(entries__kind=EntryKind.PROBLEM), distinct=True),
    )


class PatrolFilterSet(django_filters.FilterSet):
    """The filters of the patrol list, its Excel export and the API list."""

    grid = django_filters.NumberFilter(field_name="grid_id", label=gettext_lazy("网格"))
    community = django_filters.NumberFilter(field_name="community_id", label=gettext_lazy("社区"))
    worker = django_filters.NumberFilter(field_name="worker_id", label=gettext_lazy("巡查人"))
    status = django_filters.ChoiceFilter(choices=PatrolStatus.choices, label=gettext_lazy("状态"))
    date_from = django_filters.DateFilter(
        field_name="started_at", lookup_expr="date__gte", label=gettext_lazy("起始日期")
    )
    date_to = django_filters.DateFilter(
        field_name="started_at", lookup_expr="date__lte", label=gettext_lazy("截止日期")
    )

    class Meta:
        model = Patrol
        fields = ["grid", "community", "worker", "status", "date_from", "date_to"]


def patrol_standards(district_ids: Iterable[int]) -> dict[int, int]:
    """The daily patrol minutes of each district (GridStandard.patrol_minutes, or the default)."""
    ids = set(district_ids)
    rows = dict(GridStandard.objects.filter(district_id__in=ids).values_list("district_id", "patrol_minutes"))
    return {d: rows.get(d, DEFAULT_PATROL_MINUTES) for d in ids}


def month_bounds(year: int, month: int, tz: ZoneInfo = SHANGHAI) -> tuple[datetime.datetime, datetime.datetime]:
    start = datetime.datetime(year, month, 1, tzinfo=tz)
    end = datetime.datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=tz)
    return start, end


@dataclass
class HoursRow:
    worker: User
    grids: list[str]
    figures: MonthFigures


def hours_report(
    viewer,
    *,
    year: int,
    month: int,
    now: datetime.datetime,
    grid_id: int | None = None,
    is_due: Callable[[datetime.date], bool] | None = None,
) -> list[HoursRow]:
    """Monthly patrol hours per worker in the viewer's territory: every grid worker assigned to a
    visible grid (none patrolled is a full shortfall) and everyone who patrolled a visible grid."""
    tz = local_zone()
    start, end = month_bounds(year, month, tz)
    patrols = visible_patrols(viewer).filter(started_at__gte=start - MAX_PATROL, started_at__lt=end)
    if grid_id is not None:
        patrols = patrols.filter(grid_id=grid_id)
    rows = list(
        patrols.order_by()
        .annotate(problems=Count("entries", filter=Q(entries__kind=EntryKind.PROBLEM)))
        .values_list("worker_id", "started_at", "ended_at", "distance_m", "problems", "district_id", "grid__name")
    )
    walks: dict[int, list[Walk]] = defaultdict(list)
    districts: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    grid_names: dict[int, set[str]] = defaultdict(set)
    for worker_id, started, ended, distance, problems, district_id, grid_name in rows:
        walks[worker_id].append(Walk(worker_id, started, ended, distance, problems))
        districts[worker_id][district_id] += 1
        grid_names[worker_id].add(grid_name)
    grids = Grid.objects.restrict(viewer, "view")
    if grid_id is not None:
        grids = grids.filter(pk=grid_id)
    assigned = Assignment.objects.filter(
        role=Role.GRID_WORKER, level=Level.GRID, grid__in=grids.filter(retired_on=None)
    ).values_list("user_id", "grid__district_id", "grid__name")
    home: dict[int, int] = {}
    for user_id, district_id, grid_name in assigned:
        home.setdefault(user_id, district_id)
        grid_names[user_id].add(grid_name)
    worker_ids = set(walks) | set(home)
    workers = {u.pk: u for u in User.objects.filter(pk__in=worker_ids)}

    def district_of(worker_id: int) -> int:
        if worker_id in home:
            return home[worker_id]
        counts = districts[worker_id]
        return max(counts, key=lambda d: (counts[d], -d))

    standards = patrol_standards(district_of(w) for w in worker_ids)
    report = [
        HoursRow(
            worker=workers[w],
            grids=sorted(grid_names[w]),
            figures=month_figures(
                walks.get(w, []),
                worker_id=w,
                year=year,
                month=month,
                standard=standards[district_of(w)],
                now=now,
                tz=tz,
                is_due=is_due,
            ),
        )
        for w in worker_ids
        if w in workers
    ]
    report.sort(key=lambda r: (-r.figures.shortfall_minutes, r.worker.get_full_name() or r.worker.username))
    return report
