"""The command centre's figures (指挥中心): today's figures, the open cases on the map by SLA class,
the charts and the feed of one district, street or community, as the viewer may see them.

Every figure is a grouped aggregate over the node's cases, selected first by an indexed range
(`reported_at`, `closed_at`) or by `state` with the node's id (`street_id`, `community_id`, ...);
nothing loops over cases in Python (only over the groups an aggregate returns), and the number
of queries does not grow with the number of cases. Each figure carries the URL of the case list
(/cases/) filtered to exactly the cases behind it, with the filters of `cases.filtersets.CaseFilterSet`
(the list judges time-dependent filters at the time of its own request, so a figure and its list
agree when they are read at the same moment). The definitions are in docs/domain/command.md.

Time is an argument: `now` is aware; "today" is its local date in settings.TIME_ZONE (Asia/Shanghai).
The node must already be known to be in the viewer's scope (`node_in_scope`): every case under a
node in scope is in scope, and the case queries are restricted to the viewer on top.
"""

from __future__ import annotations

import datetime
import functools
from collections import defaultdict
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import shapely
import shapely.errors
import shapely.geometry
from django.conf import settings
from django.db.models import Case as CaseWhen
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import TruncDate
from django.urls import get_script_prefix, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gongzhi.cases.choices import Category, Channel, SlaPhase, State, Tier, WhistleReason
from gongzhi.cases.models import OPEN_STATES, Case, CaseEvent, Whistle, case_number
from gongzhi.cases.services import due_soon_q, overdue_q
from gongzhi.territory.models import Community, District, Grid, Street

CASES_VIEW = "cases.view"
LEVELS: dict[str, Any] = {"district": District, "street": Street, "community": Community}
LEVEL_LABELS = {"district": gettext_lazy("区"), "street": gettext_lazy("街道"), "community": gettext_lazy("社区")}
DISPATCH_WINDOW = datetime.timedelta(hours=1)
# settled at intake, never dispatched: not counted in the 1-hour dispatch rate
NOT_DISPATCHABLE = [State.REJECTED, State.MERGED]
# open, with no clock running (waiting for verification or a rating, or suspended)
STOPPED_STATES = [State.SUSPENDED, State.HANDLED, State.VERIFIED]
# the colour classes of the map, in order of precedence: a case is in the first one it qualifies for
SLA_CLASSES = ("whistle", "overdue", "escalated", "due_soon", "stopped", "on_time")
SLA_LABELS = {
    "whistle": gettext_lazy("吹哨中"),
    "overdue": gettext_lazy("已超时"),
    "escalated": gettext_lazy("已上报"),
    "due_soon": gettext_lazy("即将到期"),
    "stopped": gettext_lazy("停表（待核实、待评价、缓办）"),
    "on_time": gettext_lazy("正常"),
}
POINT_LIMIT = 2000
MAX_POINT_LIMIT = 5000
DEFAULT_DAYS = 30
MAX_DAYS = 366
FEED_LIMIT = 30
FEED_WINDOW = datetime.timedelta(hours=24)
# timeline entries shown in the feed, and the type of the live push each one comes with
FEED_ACTIONS = {
    "report": "case.reported",
    "dispatch": "case.dispatch",
    "redispatch": "case.redispatch",
    "escalate": "case.escalate",
    "whistle": "case.whistle",
    "remind": "case.overdue",
}
FEED_LABELS = {
    "case.reported": gettext_lazy("新事项"),
    "case.dispatch": gettext_lazy("派遣"),
    "case.redispatch": gettext_lazy("改派"),
    "case.escalate": gettext_lazy("上报"),
    "case.whistle": gettext_lazy("吹哨"),
    "case.overdue": gettext_lazy("超时催办"),
}


def tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def local_day(now: datetime.datetime) -> tuple[datetime.date, datetime.datetime, datetime.datetime]:
    """The local date of `now` and its bounds [start, end) as aware datetimes."""
    zone = tz()
    day = now.astimezone(zone).date()
    return day, day_start(day), day_start(day + datetime.timedelta(days=1))


def day_start(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=tz())


# -- where ----------------------------------------------------------------------------------------


def node_in_scope(user, level: str, pk: int):
    """The district, street or community `pk` if the viewer holds cases.view over it, else None."""
    model = LEVELS.get(level)
    if model is None:
        return None
    return model.objects.restrict(user, "view", app="cases").filter(pk=pk).first()


def default_node(user):
    """Where the command centre opens: the viewer's highest district, street or community with
    cases.view (lowest code first); a superuser's first district; None for anyone else (a grid
    worker has no command centre)."""
    if user.is_superuser:
        return District.objects.order_by("code").first()
    nodes = user.scope_nodes(CASES_VIEW)
    for level, model in LEVELS.items():
        ids = nodes.get(level)
        if ids:
            return model.objects.filter(pk__in=sorted(ids)).order_by("code").first()
    return None


def node_dict(node) -> dict:
    return {"level": node.level, "id": node.pk, "name": node.name, "code": node.code}


def node_cases(user, node) -> QuerySet[Case]:
    return Case.objects.restrict(user, "view").filter(**{f"{node.level}_id": node.pk})


@functools.lru_cache(maxsize=16)
def _case_list_path(script_prefix: str) -> str:
    return reverse("cases:list")


def list_url(node, **params) -> str:
    """The case list (/cases/, all work queues) of the node with the given filters."""
    query: dict[str, Any] = {"tab": "all", node.level: node.pk}
    query.update({key: value for key, value in params.items() if value is not None})
    return f"{_case_list_path(get_script_prefix())}?{urlencode(query, doseq=True)}"


# -- the conditions behind the figures (also used by the case list's filters) --------------------


def open_whistle() -> Exists:
    """The case has a whistle that has not been closed (吹哨中)."""
    return Exists(Whistle.objects.filter(case_id=OuterRef("pk"), closed_at=None))


def dispatched_within_q(window: datetime.timedelta = DISPATCH_WINDOW) -> Q:
    """First dispatched no later than `window` after it was reported."""
    return Q(first_dispatched_at__isnull=False, first_dispatched_at__lte=F("reported_at") + window)


def dispatch_judged_q(now: datetime.datetime, window: datetime.timedelta = DISPATCH_WINDOW) -> Q:
    """Cases whose 1-hour dispatch can be judged at `now`: dispatched (in time or late), or not
    dispatched with the hour over; cases rejected or merged at intake are never judged."""
    return ~Q(state__in=NOT_DISPATCHABLE) & (Q(first_dispatched_at__isnull=False) | Q(reported_at__lt=now - window))


def dispatched_late_q(now: datetime.datetime, window: datetime.timedelta = DISPATCH_WINDOW) -> Q:
    return dispatch_judged_q(now, window) & ~dispatched_within_q(window)


def unrated_q(since: datetime.datetime) -> Q:
    """Waiting for the reporter's rating now (待评价), or closed since `since` without a rating
    (closed by the centre, or the rating window ran out)."""
    return Q(state=State.VERIFIED) | Q(state=State.CLOSED, satisfaction="", closed_at__gte=since)


def sla_rank(now: datetime.datetime) -> CaseWhen:
    """The index in SLA_CLASSES of an open case's colour class at `now` (first match wins)."""
    return CaseWhen(
        When(open_whistle(), then=Value(0)),
        When(overdue_q(now), then=Value(1)),
        When(escalation_count__gt=0, then=Value(2)),
        When(due_soon_q(now), then=Value(3)),
        When(state__in=STOPPED_STATES, then=Value(4)),
        default=Value(5),
        output_field=IntegerField(),
    )


def in_sla_class(queryset: QuerySet[Case], key: str, now: datetime.datetime) -> QuerySet[Case]:
    """The open cases of `queryset` in colour class `key` at `now`."""
    return (
        queryset.filter(state__in=OPEN_STATES)
        .annotate(command_sla_rank=sla_rank(now))
        .filter(command_sla_rank=SLA_CLASSES.index(key))
    )


def count_rows(condition: Q | None = None) -> Count:
    """COUNT(*) (with a condition: COUNT(state) FILTER, state being never null): counts that read
    only columns the covering (district|street, reported_at|closed_at) indexes carry, so PostgreSQL
    answers them from the index alone (COUNT(id) would visit the table for the id)."""
    return Count("*") if condition is None else Count("state", filter=condition)


def _rate(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


# -- today's figures ------------------------------------------------------------------------------


def summary(user, node, *, now: datetime.datetime) -> dict:
    """Today's figures of the node at `now`, each with its drill-down URL. Four queries."""
    day, start, end = local_day(now)
    cases = node_cases(user, node).order_by()
    today = cases.filter(reported_at__gte=start, reported_at__lt=end).aggregate(
        intake=count_rows(),
        within=count_rows(dispatched_within_q()),
        judged=count_rows(dispatch_judged_q(now)),
    )
    current = cases.filter(state__in=OPEN_STATES).aggregate(
        open=Count("pk"),
        overdue=Count("pk", filter=overdue_q(now)),
        awaiting=Count("pk", filter=Q(state=State.VERIFIED)),
    )
    closed_unrated = cases.filter(state=State.CLOSED, satisfaction="", closed_at__gte=start).count()
    whistles = cases.filter(open_whistle()).count()
    unrated = current["awaiting"] + closed_unrated
    return {
        "node": node_dict(node),
        "day": day.isoformat(),
        "now": now.isoformat(),
        "figures": {
            "intake": {"value": today["intake"], "url": list_url(node, since=day, until=day)},
            "dispatched_1h": {
                "value": today["within"],
                "url": list_url(node, since=day, until=day, dispatched_within="1h"),
                "base": today["judged"],
                "base_url": list_url(node, since=day, until=day, dispatched_within="judged"),
                "rate": _rate(today["within"], today["judged"]),
            },
            "overdue": {"value": current["overdue"], "url": list_url(node, sla="overdue")},
            "unrated": {
                "value": unrated,
                "url": list_url(node, unrated_since=day),
                "awaiting": current["awaiting"],
                "awaiting_url": list_url(node, state=State.VERIFIED),
                "closed": closed_unrated,
                "closed_url": list_url(node, rated="none", closed_since=day),
            },
            "open": {"value": current["open"], "url": list_url(node, open="true")},
            "whistles": {"value": whistles, "url": list_url(node, whistle="open")},
        },
    }


# -- the map --------------------------------------------------------------------------------------


OUTLINE_MAX_VERTICES = 64
OUTLINE_TOLERANCE = 0.0002  # degrees, about 20 m: boundaries are drawn for orientation only


def _light(geometry: dict) -> dict:
    """A boundary with many vertices simplified to about 20 m (a few kilobytes per community, even
    for surveyed boundaries); a small or unreadable one as it is."""
    try:
        shape = shapely.geometry.shape(geometry)
    except (AttributeError, KeyError, TypeError, ValueError, shapely.errors.ShapelyError):
        return geometry
    if shapely.get_num_coordinates(shape) <= OUTLINE_MAX_VERTICES:
        return geometry
    return shapely.geometry.mapping(shape.simplify(OUTLINE_TOLERANCE, preserve_topology=True))


def _outlines(node) -> list[dict]:
    """Boundaries for orientation: the node, its streets (district), its communities (district,
    street) or its active grids (community)."""
    layers: list[tuple[str, QuerySet]] = [(node.level, type(node).objects.filter(pk=node.pk))]
    if node.level == "district":
        layers.append(("street", Street.objects.filter(district=node)))
    if node.level in ("district", "street"):
        layers.append(("community", Community.objects.filter(**{node.level: node})))
    if node.level == "community":
        layers.append(("grid", Grid.objects.filter(community=node, retired_on__isnull=True)))
    features = []
    for level, qs in layers:
        for row in qs.exclude(geometry=None).order_by("code").values("id", "name", "geometry"):
            features.append(
                {
                    "type": "Feature",
                    "geometry": _light(row["geometry"]),
                    "properties": {"level": level, "id": row["id"], "name": row["name"]},
                }
            )
    return features


def map_data(
    user,
    node,
    *,
    now: datetime.datetime,
    limit: int = POINT_LIMIT,
    case_ids: list[int] | None = None,
    outlines: bool = False,
) -> dict:
    """The open cases of the node as GeoJSON points coloured by SLA class, the most urgent first
    and at most `limit` of them; exact counts per class (the legend) and per community.

    One query over the node's open cases, most urgent first (open cases are thousands at most,
    even for a district; closed ones are never read): the counts are taken while reading and the
    first `limit` located ones become points. With `case_ids` (an update after live events), a
    grouped count and only those cases: the ones not returned are no longer open in the node.
    Plus one query for the communities (and one per outline layer with `outlines`)."""
    open_cases = node_cases(user, node).filter(state__in=OPEN_STATES).annotate(command_sla_rank=sla_rank(now))
    located = Q(lon__isnull=False, lat__isnull=False)
    legend = dict.fromkeys(SLA_CLASSES, 0)
    per_community: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(SLA_CLASSES, 0))
    with_location = 0
    # the local day of the report (for the case number) rather than the time: cheaper to read
    open_cases = open_cases.annotate(command_day=TruncDate("reported_at", tzinfo=tz()))
    fields = ("pk", "lon", "lat", "category", "state", "command_day", "community_id", "command_sla_rank")
    urgent_first = ("command_sla_rank", "-reported_at", "-pk")
    rows: list[tuple] = []
    if case_ids is None:
        for row in open_cases.order_by(*urgent_first).values_list(*fields):
            key = SLA_CLASSES[row[7]]
            legend[key] += 1
            per_community[row[6]][key] += 1
            if row[1] is not None and row[2] is not None:
                with_location += 1
                if len(rows) < limit:
                    rows.append(row)
    else:
        groups = (
            open_cases.order_by()
            .values_list("community_id", "command_sla_rank")
            .annotate(n=Count("pk"), located=Count("pk", filter=located))
        )
        for community_id, rank, n, n_located in groups:
            legend[SLA_CLASSES[rank]] += n
            per_community[community_id][SLA_CLASSES[rank]] += n
            with_location += n_located
        rows = list(open_cases.filter(located, pk__in=case_ids).order_by(*urgent_first).values_list(*fields))
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]},
            "properties": {
                "id": pk,
                "number": case_number(pk, day),
                "category": category,
                "state": state,
                "sla": SLA_CLASSES[rank],
            },
        }
        for pk, lon, lat, category, state, day, _community, rank in rows
    ]
    communities = Community.objects.filter(**({"pk": node.pk} if node.level == "community" else {node.level: node}))
    community_rows = [
        {
            "id": c["id"],
            "name": c["name"],
            "lon": c["centroid_lon"],
            "lat": c["centroid_lat"],
            "total": sum(per_community[c["id"]].values()) if c["id"] in per_community else 0,
            "counts": per_community[c["id"]] if c["id"] in per_community else dict.fromkeys(SLA_CLASSES, 0),
            "url": list_url(node, community=c["id"], open="true") if node.level != "community" else None,
        }
        for c in communities.order_by("code").values("id", "name", "centroid_lon", "centroid_lat")
    ]
    payload: dict[str, Any] = {
        "type": "FeatureCollection",
        "features": features,
        "node": node_dict(node),
        "now": now.isoformat(),
        "total": sum(legend.values()),
        "located": with_location,
        "shown": len(features),
        "truncated": case_ids is None and len(features) < with_location,
        "legend": [
            {"key": key, "label": str(SLA_LABELS[key]), "count": legend[key], "url": list_url(node, sla_class=key)}
            for key in SLA_CLASSES
        ],
        "communities": community_rows,
    }
    if case_ids is not None:
        found = {row[0] for row in rows}
        payload["removed"] = [pk for pk in case_ids if pk not in found]
    if outlines:
        payload["outlines"] = {"type": "FeatureCollection", "features": _outlines(node)}
    return payload


# -- the charts -----------------------------------------------------------------------------------


def _by_day(qs: QuerySet, field: str) -> dict[datetime.date, int]:
    rows = qs.annotate(command_day=TruncDate(field, tzinfo=tz())).order_by().values_list("command_day")
    return dict(rows.annotate(n=count_rows()))


def charts(user, node, *, now: datetime.datetime, days: int = DEFAULT_DAYS) -> dict:
    """Intake and closure per local day over the `days` days ending today (today included), and
    the intake of those days by category, community (grid, for a community) and channel, each
    with how many of them are closed. Three grouped queries (four with the children's names)."""
    today, _start, end = local_day(now)
    first = today - datetime.timedelta(days=days - 1)
    start = day_start(first)
    cases = node_cases(user, node)
    window = cases.filter(reported_at__gte=start, reported_at__lt=end)
    intake = _by_day(window, "reported_at")
    closed = _by_day(cases.filter(state=State.CLOSED, closed_at__gte=start, closed_at__lt=end), "closed_at")
    child = "grid" if node.level == "community" else "community"
    groups = (
        window.order_by()
        .values("category", "channel", f"{child}_id")
        .annotate(n=count_rows(), closed=count_rows(Q(state=State.CLOSED)))
    )
    tallies: dict[str, dict[Any, list[int]]] = {"category": {}, "channel": {}, child: {}}
    for row in groups:
        for key, value in (("category", row["category"]), ("channel", row["channel"]), (child, row[f"{child}_id"])):
            tally = tallies[key].setdefault(value, [0, 0])
            tally[0] += row["n"]
            tally[1] += row["closed"]
    model = Grid if child == "grid" else Community
    names = dict(model.objects.filter(pk__in=list(tallies[child])).values_list("pk", "name"))
    labels = {
        "category": dict(Category.choices),
        "channel": dict(Channel.choices),
        child: names,
    }

    # ties in the order of the vocabulary (categories, channels) or of the children's names
    rank = {
        "category": {k: i for i, k in enumerate(Category.values)},
        "channel": {k: i for i, k in enumerate(Channel.values)},
    }

    def items(key: str) -> list[dict]:
        order = rank.get(key, {})
        rows = sorted(
            tallies[key].items(),
            key=lambda item: (-item[1][0], order.get(item[0], 0), str(labels[key].get(item[0], item[0]))),
        )
        return [
            {
                "key": value,
                "label": str(labels[key].get(value, value)),
                "intake": n,
                "closed": n_closed,
                "url": list_url(node, since=first, until=today, **{key: value}),
                "closed_url": list_url(node, since=first, until=today, state=State.CLOSED, **{key: value}),
            }
            for value, (n, n_closed) in rows
        ]

    day_rows = []
    for offset in range(days):
        day = first + datetime.timedelta(days=offset)
        day_rows.append(
            {
                "day": day.isoformat(),
                "intake": intake.get(day, 0),
                "closed": closed.get(day, 0),
                "intake_url": list_url(node, since=day, until=day),
                "closed_url": list_url(node, state=State.CLOSED, closed_since=day, closed_until=day),
            }
        )
    return {
        "node": node_dict(node),
        "now": now.isoformat(),
        "days": days,
        "since": first.isoformat(),
        "until": today.isoformat(),
        "by_day": day_rows,
        "by_category": items("category"),
        "by_channel": items("channel"),
        "by_child": items(child),
        "child_level": child,
    }


# -- the feed -------------------------------------------------------------------------------------


def _feed_text(action: str, row: Mapping[str, Any]) -> str:
    data = row["data"] if isinstance(row["data"], dict) else {}
    category = Category(row["case__category"]).label if row["case__category"] in Category.values else ""
    if action == "report":
        return _("%(category)s：%(text)s") % {"category": category, "text": (row["note"] or "")[:60]}
    if action == "dispatch":
        return _("%(category)s，派遣至%(body)s") % {"category": category, "body": data.get("body_name", "")}
    if action == "redispatch":
        return _("%(category)s，改派至%(body)s") % {"category": category, "body": data.get("body_name", "")}
    if action == "escalate":
        to = data.get("to_tier")
        tier = Tier(to).label if to in Tier.values else ""
        return _("%(category)s，上报至%(tier)s") % {"category": category, "tier": tier}
    if action == "whistle":
        reason = data.get("reason")
        label = WhistleReason(reason).label if reason in WhistleReason.values else ""
        return _("%(reason)s，召集%(names)s报到") % {"reason": label, "names": data.get("names", "")}
    phase = data.get("phase")
    label = SlaPhase(phase).label if phase in SlaPhase.values else ""
    return _("%(category)s，%(phase)s已过") % {"category": category, "phase": label}


def feed(user, node, *, now: datetime.datetime, after: int | None = None, limit: int = FEED_LIMIT) -> list[dict]:
    """The latest feed entries of the node, newest first (by time, then id): those of the last 24
    hours before `now`, or (`after`) those newer than the entry with that id — a cursor that holds
    also when ids do not follow time (imported or back-dated entries). One query (two with `after`)."""
    qs = CaseEvent.objects.filter(
        **{f"case__{node.level}_id": node.pk},
        action__in=list(FEED_ACTIONS),
    )
    if after is None:
        qs = qs.filter(time__gte=now - FEED_WINDOW, time__lte=now)
    else:
        anchor = CaseEvent.objects.filter(pk=after).values_list("time", flat=True).first()
        qs = qs.filter(pk__gt=after) if anchor is None else qs.filter(Q(time__gt=anchor) | Q(time=anchor, pk__gt=after))
    rows = qs.order_by("-time", "-pk").values(
        "pk", "action", "time", "note", "data", "case_id", "case__reported_at", "case__category", "case__lon",
        "case__lat",
    )[:limit]  # fmt: skip
    items = []
    for row in rows:
        kind = FEED_ACTIONS[row["action"]]
        items.append(
            {
                "id": row["pk"],
                "type": kind,
                "label": str(FEED_LABELS[kind]),
                "case": row["case_id"],
                "number": case_number(row["case_id"], row["case__reported_at"].astimezone(tz())),
                "text": _feed_text(row["action"], row),
                "time": row["time"].isoformat(),
                "url": reverse("cases:detail", args=[row["case_id"]]),
                "lon": row["case__lon"],
                "lat": row["case__lat"],
            }
        )
    return items
