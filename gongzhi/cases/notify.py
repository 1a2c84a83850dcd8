"""Telling the people concerned: in-app messages (stored, and pushed over the WebSocket after
commit) to dispatchers, handlers and grid workers; the reporter in the app or by SMS.

Every case event is also pushed to the street's live channel (`cases.street.<id>`), which the
dispatcher's desk and the command centre listen to, and to the district's (`cases.district.<id>`),
which the command centre of a district listens to.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.accounts.choices import Role
from gongzhi.accounts.models import Assignment

from . import cache
from .models import Case, CaseEvent, Notification

DISPATCH_ROLES_STREET = [Role.DISPATCHER, Role.STREET_ADMIN]
DISPATCH_ROLES_COMMUNITY = [Role.COMMUNITY_WORKER]


def street_group(street_id: int) -> str:
    return f"cases.street.{street_id}"


def district_group(district_id: int) -> str:
    return f"cases.district.{district_id}"


def _push(user_ids: list[int], payload: dict) -> None:
    from gongzhi.core.consumers import push_many, user_group

    push_many([(user_group(uid), payload) for uid in user_ids])


def _push_live(street_id: int, district_id: int, payload: dict) -> None:
    """The street's and the district's live groups, in one hop to the channel layer."""
    from gongzhi.core.consumers import push_many

    push_many([(street_group(street_id), payload), (district_group(district_id), payload)])


def send(user_ids: Iterable[int], case: Case | None, kind: str, message: str, now=None) -> None:
    """Store one message per user and push it after commit."""
    from django.utils import timezone

    ids = sorted({uid for uid in user_ids if uid})
    if not ids:
        return
    when = now or (case.updated if case is not None and case.updated else timezone.now())
    Notification.objects.bulk_create(
        [Notification(user_id=uid, case=case, kind=kind, message=message[:300], time=when) for uid in ids]
    )
    payload: dict[str, object] = {"type": kind, "message": message[:300]}
    if case is not None:
        payload.update(case=case.pk, number=case.number, url=f"/cases/{case.pk}/")
    transaction.on_commit(lambda: _push(ids, payload))


def unread_count(user) -> int:
    return Notification.objects.filter(user=user, read_at=None).count()


def mark_read(user, now, pk: int | None = None) -> int:
    """Mark one or all of the user's unread messages read (a user's own inbox; no audit needed)."""
    qs = Notification.objects.filter(user=user, read_at=None)
    if pk is not None:
        qs = qs.filter(pk=pk)
    return qs.update(read_at=now)


def dispatcher_ids(case: Case) -> list[int]:
    """Who dispatches the case: the street's command centre, and the community's workers while
    the case is held at community or grid level."""
    low = case.tier in ("grid", "community")

    def build():
        condition = Q(level="street", street_id=case.street_id, role__in=DISPATCH_ROLES_STREET)
        if low:
            condition |= Q(level="community", community_id=case.community_id, role__in=DISPATCH_ROLES_COMMUNITY)
        return list(Assignment.objects.filter(condition).values_list("user_id", flat=True).distinct())

    return cache.cached(f"dispatchers:{case.street_id}:{case.community_id if low else 0}", build)


def grid_worker_ids(case: Case) -> list[int]:
    return list(
        Assignment.objects.filter(level="grid", grid_id=case.grid_id, role=Role.GRID_WORKER)
        .values_list("user_id", flat=True)
        .distinct()
    )


def body_member_ids(case: Case) -> list[int]:
    if case.body is None:
        return []
    return list(case.body.members.filter(is_active=True).values_list("pk", flat=True))


def tell_reporter(case: Case, message: str, kind: str) -> None:
    """The reporter hears of each step: in the app when they reported through it, else by SMS."""
    from gongzhi.core.sms import send_sms

    if case.reporter_user_id:
        send([case.reporter_user_id], case, kind, message)
    elif case.reporter_phone:
        from .reporter_link import url

        text = _("【共治】%(message)s 查看进展：%(url)s") % {"message": message, "url": url(case)}
        phone = case.reporter_phone
        transaction.on_commit(lambda: send_sms(phone, text))


def to_dispatchers(case: Case, kind: str, message: str) -> None:
    send(dispatcher_ids(case), case, kind, message)


def _live(case: Case, action: str, message: str) -> None:
    payload = {
        "type": f"case.{action}",
        "case": case.pk,
        "number": case.number,
        "state": case.state,
        "category": case.category,
        "tier": case.tier,
        "lon": case.lon,
        "lat": case.lat,
        "message": message,
        "url": f"/cases/{case.pk}/",
        # where it is: the command centre of a community keeps only its own community's events
        "district": case.district_id,
        "street": case.street_id,
        "community": case.community_id,
        "grid": case.grid_id,
    }
    street_id, district_id = case.street_id, case.district_id
    transaction.on_commit(lambda: _push_live(street_id, district_id, payload))


def case_reported(case: Case) -> None:
    message = _("新事项 %(number)s（%(category)s）：%(text)s") % {
        "number": case.number,
        "category": case.get_category_display(),
        "text": case.description[:60],
    }
    to_dispatchers(case, "case.reported", message)
    _live(case, "reported", message)
    tell_reporter(
        case, _("您反映的问题已收到，案卷号 %(number)s，我们将尽快处理。") % {"number": case.number}, "case.received"
    )


def case_moved(case: Case, event: CaseEvent) -> None:
    n, body = case.number, case.body.name if case.body is not None else ""
    action = event.action
    if action == "register":
        tell_reporter(case, _("您反映的问题（%(n)s）已立案。") % {"n": n}, "case.registered")
    elif action == "reject":
        tell_reporter(
            case, _("您反映的问题（%(n)s）不予立案：%(note)s") % {"n": n, "note": event.note[:80]}, "case.rejected"
        )
    elif action == "merge":
        tell_reporter(case, _("您反映的问题（%(n)s）已与相同事项合并办理。") % {"n": n}, "case.merged")
    elif action in ("dispatch", "redispatch", "reopen"):
        send(
            body_member_ids(case),
            case,
            "case.dispatched",
            _("新派单 %(n)s：%(text)s") % {"n": n, "text": case.description[:60]},
        )
        tell_reporter(case, _("您反映的问题（%(n)s）已交由%(body)s办理。") % {"n": n, "body": body}, "case.dispatched")
    elif action == "accept":
        tell_reporter(
            case, _("%(body)s已签收您反映的问题（%(n)s），正在处理。") % {"n": n, "body": body}, "case.accepted"
        )
    elif action == "return":
        to_dispatchers(case, "case.returned", _("%(n)s 被退单：%(note)s") % {"n": n, "note": event.note[:80]})
    elif action == "plan":
        tell_reporter(
            case, _("您反映的问题（%(n)s）已制定解决方案：%(note)s") % {"n": n, "note": event.note[:80]}, "case.planned"
        )
    elif action == "handle":
        message = _("%(n)s 已处置，请核实：%(note)s") % {"n": n, "note": event.note[:60]}
        # the staff member who entered it checks too; a resident reporter is told below instead
        creator = case.created_by_id
        staff_creator = [creator] if creator and creator != case.reporter_user_id else []
        send(grid_worker_ids(case) + staff_creator, case, "case.handled", message)
        tell_reporter(case, _("您反映的问题（%(n)s）已处理完毕，正在核实。") % {"n": n}, "case.handled")
    elif action == "verify":
        tell_reporter(case, _("您反映的问题（%(n)s）已办结，请确认是否解决并评价。") % {"n": n}, "case.verified")
    elif action == "rework":
        send(
            body_member_ids(case),
            case,
            "case.rework",
            _("%(n)s 核实未通过，请返工：%(note)s") % {"n": n, "note": event.note[:60]},
        )
    elif action in ("rate", "close", "expire"):
        send(body_member_ids(case), case, "case.closed", _("%(n)s 已结案。") % {"n": n})
    elif action in ("suspend", "resume"):
        send(
            body_member_ids(case),
            case,
            f"case.{action}",
            _("%(n)s %(what)s。") % {"n": n, "what": event.get_to_state_display()},
        )
    elif action == "escalate":
        to_dispatchers(
            case,
            "case.escalated",
            _("%(n)s 已上报至%(tier)s：%(note)s") % {"n": n, "tier": case.get_tier_display(), "note": event.note[:60]},
        )
    _live(case, action, f"{n} {event.get_to_state_display() or ''}".strip())


def reminder(case: Case, phase: str, due) -> None:
    from .choices import SlaPhase

    message = _("催办：%(n)s %(phase)s已过（%(due)s），请尽快办理。") % {
        "n": case.number,
        "phase": SlaPhase(phase).label,
        "due": f"{timezone.localtime(due):%m-%d %H:%M}",
    }
    if phase in (SlaPhase.DISPATCH,):
        to_dispatchers(case, "case.overdue", message)
    else:
        send(body_member_ids(case) + dispatcher_ids(case), case, "case.overdue", message)
    _live(case, "overdue", message)


def whistle_blown(whistle, bodies) -> None:
    from .models import HandlingBody

    case = whistle.case
    ids = list(
        HandlingBody.members.through.objects.filter(handlingbody_id__in=[b.pk for b in bodies]).values_list(
            "user_id", flat=True
        )
    )
    message = _("吹哨报到：%(n)s %(reason)s，请于 %(minutes)s 分钟内到场报到。") % {
        "n": case.number,
        "reason": whistle.get_reason_display(),
        "minutes": whistle.report_minutes,
    }
    send(ids, case, "case.whistle", message)
    _live(case, "whistle", message)


def summons_late(summons) -> None:
    case = summons.whistle.case
    message = _("%(body)s 未在时限内报到（%(n)s）。") % {"body": summons.body.name, "n": case.number}
    send([summons.whistle.blown_by_id], case, "case.summons_late", message)
    _live(case, "summons_late", message)
