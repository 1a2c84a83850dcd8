"""Reads of the Open311 adapter: which cases a partner may see, the GET requests filters, and a
case as an Open311 service request.

What is published (ADR 0004): no reporter name, phone or e-mail; phone and ID numbers and the
reporter's name are masked inside free text; the address at building level at most (never the
free-text address, which may name a flat); coordinates to 4 decimals (about 10 m); no photos
(attachments are served only to signed-in staff). Cases of the private categories (邻里纠纷,
民生帮扶) are never listed. A key limited to a street sees that street only.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.cases.choices import Category, State
from gongzhi.cases.models import Case, CaseEvent

from . import catalogue
from .errors import SpecError
from .models import ApiKey
from .params import Params

CLOSED = frozenset({State.CLOSED, State.REJECTED, State.MERGED})
MAX_SPAN = datetime.timedelta(days=90)
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
MAX_PAGE = 100_000
MAX_NOTE = 500
MIN_YEAR, MAX_YEAR = 1970, 2200
NUMBER = re.compile(r"^(\d{8})-(\d{1,12})$")
DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
CLOSING_ACTIONS = ("reject", "close", "rate", "expire", "handle")

MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)[\s-]?\d{4}[\s-]?(\d{4})(?!\d)")
LANDLINE = re.compile(r"(?<!\d)(0\d{2,3})-?\d{3,4}(\d{4})(?!\d)")
ID_NUMBER = re.compile(r"(?<![\dXx])(\d{4})\d{10}(\d{3}[\dXx])(?![\dXx])")


def status_of(state: str) -> str:
    """Our twelve states as Open311's two: closed, rejected and merged are closed; the rest open."""
    return "closed" if state in CLOSED else "open"


def scrub(text: str, names=()) -> str:
    """Mask phone and ID numbers and the given names inside free text."""
    text = ID_NUMBER.sub(lambda m: f"{m[1]}**********{m[2]}", text)
    text = MOBILE.sub(lambda m: f"{m[1]}****{m[2]}", text)
    text = LANDLINE.sub(lambda m: f"{m[1]}-****{m[2]}", text)
    for name in names:
        if name and len(name) >= 2:
            text = text.replace(name, name[0] + "*" * (len(name) - 1))
    return text


def iso(moment: datetime.datetime | None) -> str | None:
    """ISO 8601 in China time: 2026-12-01T10:00:00+08:00."""
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else None


def parse_number(text: str) -> tuple[str, int] | None:
    """A case number 20261201-000123 as (report date, id); None if it is not one."""
    match = NUMBER.match(text.strip())
    return (match[1], int(match[2])) if match else None


def _is(case: Case, number: tuple[str, int]) -> bool:
    return case.pk == number[1] and f"{timezone.localtime(case.reported_at):%Y%m%d}" == number[0]


def published(key: ApiKey | None) -> QuerySet[Case]:
    """The cases Open311 may show: not of a private category; the key's street if it has one."""
    last_event = CaseEvent.objects.filter(case=OuterRef("pk"), public=True).order_by("-time", "-pk").values("time")
    qs = (
        Case.objects.exclude(category__in=catalogue.PRIVATE)
        .select_related("body", "street", "grid", "compound", "building", "merged_into")
        .annotate(last_event_time=Subquery(last_event[:1]))
    )
    if key is not None and key.street_id is not None:
        qs = qs.filter(street_id=key.street_id)
    return qs


# -- GET requests filters -----------------------------------------------------------------------


@dataclass
class Query:
    numbers: list[tuple[str, int]] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    start: datetime.datetime | None = None
    end: datetime.datetime | None = None
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE


def _date(params: Params, name: str) -> datetime.datetime | None:
    raw = params.get(name)
    if raw is None:
        return None
    if DATE_ONLY.match(raw):
        try:
            day = datetime.date.fromisoformat(raw)
        except ValueError:
            day = None
        if day is not None and MIN_YEAR <= day.year <= MAX_YEAR:
            return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))
    moment = catalogue.parse_datetime(raw)
    if moment is None or not MIN_YEAR <= moment.year <= MAX_YEAR:
        raise SpecError(400, _("%(name)s 应为带时区的 W3C 时间，如 2026-11-01T00:00:00+08:00。") % {"name": name})
    return moment


def _int(params: Params, name: str, default: int, maximum: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    if not re.fullmatch(r"\d{1,7}", raw) or not 1 <= int(raw) <= maximum:
        raise SpecError(400, _("%(name)s 应为 1 到 %(max)s 之间的整数。") % {"name": name, "max": maximum})
    return int(raw)


def parse_query(params: Params, now: datetime.datetime) -> Query:
    """The filters of GET requests. service_request_id (a comma list) overrides every other
    filter; otherwise start/end_date span at most 90 days (default: the 90 days up to now)."""
    query = Query(
        page=_int(params, "page", 1, MAX_PAGE),
        page_size=_int(params, "page_size", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE),
    )
    ids = params.values("service_request_id")
    if ids:
        if len(ids) > MAX_PAGE_SIZE:
            raise SpecError(400, _("service_request_id 一次最多 %(n)s 个。") % {"n": MAX_PAGE_SIZE})
        for text in ids:
            number = parse_number(text)
            if number is None:
                message = _("service_request_id “%(id)s” 不是有效的案卷号（如 20261201-000123）。")
                raise SpecError(400, message % {"id": text[:40]})
            query.numbers.append(number)
        return query
    query.codes = [catalogue.get(code).code for code in params.values("service_code")]
    query.statuses = params.values("status")
    if any(s not in ("open", "closed") for s in query.statuses):
        raise SpecError(400, _("status 只能为 open、closed 或 open,closed。"))
    start, end = _date(params, "start_date"), _date(params, "end_date")
    if start and end:
        if end < start:
            raise SpecError(400, _("end_date 不能早于 start_date。"))
        if end - start > MAX_SPAN:
            raise SpecError(400, _("start_date 与 end_date 的跨度不能超过 90 天。"))
    elif start:
        end = start + MAX_SPAN
    elif end:
        start = end - MAX_SPAN
    else:
        start, end = now - MAX_SPAN, now
    query.start, query.end = start, end
    return query


def run(query: Query, key: ApiKey | None) -> tuple[list[Case], bool]:
    """One page of cases, newest first, and whether there is a next page."""
    qs = published(key).order_by("-reported_at", "-pk")
    offset = (query.page - 1) * query.page_size
    if query.numbers:
        found = [c for c in qs.filter(pk__in={pk for _d, pk in query.numbers}) if any(_is(c, n) for n in query.numbers)]
        return found[offset : offset + query.page_size], len(found) > offset + query.page_size
    qs = qs.filter(reported_at__gte=query.start, reported_at__lte=query.end)
    if query.codes:
        qs = qs.filter(category__in=query.codes)
    if set(query.statuses) == {"open"}:
        qs = qs.exclude(state__in=CLOSED)
    elif set(query.statuses) == {"closed"}:
        qs = qs.filter(state__in=CLOSED)
    rows = list(qs[offset : offset + query.page_size + 1])
    return rows[: query.page_size], len(rows) > query.page_size


def find(number_text: str, key: ApiKey | None) -> Case:
    """One published case by its number; 404 in the spec's format otherwise."""
    number = parse_number(number_text)
    case = published(key).filter(pk=number[1]).first() if number else None
    if case is None or not _is(case, number):
        raise SpecError(404, _("未找到服务请求 %(id)s。") % {"id": number_text[:40]})
    return case


# -- a case as a service request ----------------------------------------------------------------


def _closing_notes(cases: list[Case]) -> dict[int, str]:
    """For closed cases: the reason of 不予立案, the centre's note on 结案, or else the handling
    body's last note (a case closed by the reporter's rating or after the rating window)."""
    ids = [c.pk for c in cases if c.state in (State.CLOSED, State.REJECTED)]
    if not ids:
        return {}
    last: dict[tuple[int, str], str] = {}
    closer: dict[int, str] = {}
    events = CaseEvent.objects.filter(case_id__in=ids, public=True, action__in=CLOSING_ACTIONS).order_by("time", "pk")
    for case_id, action, note in events.values_list("case_id", "action", "note"):
        last[(case_id, action)] = note
        if action in ("close", "rate", "expire"):
            closer[case_id] = action
    notes = {}
    for case in cases:
        if case.state == State.REJECTED:
            notes[case.pk] = last.get((case.pk, "reject"), "")
        elif case.state == State.CLOSED:
            how = closer.get(case.pk)
            notes[case.pk] = last.get((case.pk, "close"), "") if how == "close" else last.get((case.pk, "handle"), "")
    return notes


def _status_notes(case: Case, note: str) -> str:
    label = str(State(case.state).label)
    note = " ".join((note or "").split())[:MAX_NOTE]
    if case.state == State.MERGED and case.merged_into is not None:
        return _("%(label)s：并入 %(number)s") % {"label": label, "number": case.merged_into.number}
    return f"{label}：{note}" if note else label


def _address(case: Case) -> str:
    if case.building is not None:
        return f"{case.compound.name if case.compound else ''}{case.building.name}"
    if case.compound is not None:
        return case.compound.name
    return case.grid.name


def _updated(case: Case) -> datetime.datetime:
    if case.state in CLOSED and case.closed_at:
        return case.closed_at
    return getattr(case, "last_event_time", None) or case.reported_at


def _coordinate(value: float | None) -> float | None:
    return round(value, 4) if value is not None else None


def request_rows(cases: list[Case]) -> list[dict]:
    """The service_requests document of these cases (two queries for any number of them)."""
    notes = _closing_notes(cases)
    rows = []
    for case in cases:
        service = catalogue.BY_CODE.get(case.category) or catalogue.BY_CODE[Category.OTHER]
        names = [case.reporter_name]
        is_open = case.state not in CLOSED
        rows.append(
            {
                "service_request_id": case.number,
                "status": status_of(case.state),
                "status_notes": scrub(_status_notes(case, notes.get(case.pk, "")), names),
                "service_name": service.name,
                "service_code": case.category,
                "description": scrub(case.description, names),
                "agency_responsible": case.body.name if case.body is not None else case.street.name,
                "service_notice": str(service.notice),
                "requested_datetime": iso(case.reported_at),
                "updated_datetime": iso(_updated(case)),
                "expected_datetime": iso(case.resolve_due) if is_open and case.state != State.SUSPENDED else None,
                "address": _address(case),
                "address_id": case.building.code if case.building is not None else "",
                "zipcode": "",
                "lat": _coordinate(case.lat),
                "long": _coordinate(case.lon),
            }
        )
    return rows
