"""The case state machine as one table: which move is allowed from which state, who may make it,
and what it needs. Pure: no database, no clock. `services.py` applies it.

The seven steps of digital city management map onto it: 信息收集 (report) → 案卷建立 (register,
reject, merge) → 任务派遣 (dispatch, redispatch) → 任务处理 (accept, return, plan, suspend, resume,
escalate) → 处理反馈 (handle) → 核实结案 (verify, rework, close) → 综合评价 (rate, expire, reopen).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .choices import TIER_ORDER, State, Tier


class Actor(StrEnum):
    """Who may make a move (the services decide whether a given user is one)."""

    DISPATCHER = "dispatcher"  # cases.dispatch over the case's territory (command centre, community)
    HANDLER = "handler"  # a member of the body the case is dispatched to
    VERIFIER = "verifier"  # cases.verify over the case's territory (the grid worker, the centre)
    REPORTER = "reporter"  # the person who reported it (or a dispatcher on a follow-up call, 回访)
    SYSTEM = "system"  # the periodic sweep (no user)


@dataclass(frozen=True)
class Move:
    name: str
    label: Promise
    sources: frozenset[str]
    target: str | None  # None: decided by the case (resume goes back to where it was)
    actors: frozenset[Actor]
    note_required: bool = False
    needs_body: bool = False
    needs_target_case: bool = False
    photos: bool = False  # the page offers photo evidence


def _move(name, label, sources, target, actors, **kw) -> Move:
    return Move(name, label, frozenset(sources), target, frozenset(actors), **kw)


S, A = State, Actor
_WORKING = {S.ACCEPTED, S.PLANNED}
MOVES: dict[str, Move] = {
    m.name: m
    for m in [
        _move("register", _("立案"), {S.REPORTED}, S.REGISTERED, {A.DISPATCHER}),
        _move("reject", _("不予立案"), {S.REPORTED, S.REGISTERED}, S.REJECTED, {A.DISPATCHER}, note_required=True),
        _move("merge", _("并单"), {S.REPORTED, S.REGISTERED}, S.MERGED, {A.DISPATCHER}, needs_target_case=True),
        _move("dispatch", _("派遣"), {S.REGISTERED, S.RETURNED}, S.DISPATCHED, {A.DISPATCHER}, needs_body=True),
        _move(
            "redispatch", _("改派"), {S.DISPATCHED}, S.DISPATCHED, {A.DISPATCHER}, needs_body=True, note_required=True
        ),
        _move("accept", _("签收"), {S.DISPATCHED}, S.ACCEPTED, {A.HANDLER}),
        _move("return", _("退单"), {S.DISPATCHED}, S.RETURNED, {A.HANDLER}, note_required=True),
        _move("plan", _("提出方案"), {S.ACCEPTED}, S.PLANNED, {A.HANDLER}, note_required=True),
        _move("handle", _("处置反馈"), _WORKING, S.HANDLED, {A.HANDLER}, note_required=True, photos=True),
        _move("suspend", _("缓办挂账"), _WORKING, S.SUSPENDED, {A.DISPATCHER}, note_required=True),
        _move("resume", _("恢复办理"), {S.SUSPENDED}, None, {A.DISPATCHER}),
        _move(
            "escalate",
            _("上报上级"),
            {S.REGISTERED, S.DISPATCHED, S.RETURNED, S.ACCEPTED, S.PLANNED},
            S.REGISTERED,
            {A.DISPATCHER, A.HANDLER, A.SYSTEM},
            note_required=True,
        ),
        _move("verify", _("核实通过"), {S.HANDLED}, S.VERIFIED, {A.VERIFIER}, photos=True),
        _move("rework", _("返工"), {S.HANDLED}, S.ACCEPTED, {A.VERIFIER}, note_required=True, photos=True),
        _move("rate", _("评价"), {S.VERIFIED}, S.CLOSED, {A.REPORTER}),
        _move("close", _("结案"), {S.VERIFIED}, S.CLOSED, {A.DISPATCHER}, note_required=True),
        _move("expire", _("超期未评价结案"), {S.VERIFIED}, S.CLOSED, {A.SYSTEM}),
        _move("reopen", _("重新办理"), {S.CLOSED}, S.DISPATCHED, {A.REPORTER}, note_required=True),
    ]
}
del S, A

TERMINAL = frozenset({State.REJECTED, State.MERGED, State.CLOSED})


class IllegalTransition(ValidationError):
    """A move that the table does not allow from the case's state, or not to this actor."""


def get_move(name: str) -> Move:
    try:
        return MOVES[name]
    except KeyError:
        raise IllegalTransition(gettext("未知的操作“%(name)s”。") % {"name": name}) from None


def target_state(state: str, name: str, *, resume_state: str = "") -> str:
    """The state after `name` from `state`, or IllegalTransition with a message for the user."""
    move = get_move(name)
    if state not in move.sources:
        raise IllegalTransition(
            gettext("事项当前为“%(state)s”，不能%(move)s。")
            % {"state": State(state).label if state in State.values else state, "move": move.label}
        )
    if move.target is not None:
        return move.target
    if resume_state not in move.sources and resume_state in State.values and resume_state not in TERMINAL:
        return resume_state
    raise IllegalTransition(gettext("无法确定恢复后的状态。"))


def check_actor(name: str, roles: set[Actor] | frozenset[Actor]) -> None:
    """IllegalTransition unless one of the actor's roles on this case may make the move."""
    move = get_move(name)
    if not (move.actors & set(roles)):
        raise IllegalTransition(gettext("您无权对该事项执行“%(move)s”。") % {"move": move.label})


def available(state: str, roles: set[Actor] | frozenset[Actor]) -> list[Move]:
    """The moves the table offers from `state` to someone with `roles`, in table order."""
    return [m for m in MOVES.values() if state in m.sources and m.actors & set(roles)]


# Timeline entries that are not moves of the table, with their labels.
EVENT_LABELS: dict[str, Promise] = {
    "report": _("上报"),
    "comment": _("留言"),
    "whistle": _("吹哨"),
    "report_in": _("报到"),
    "evaluate": _("评价报到部门"),
    "regrid": _("网格调整"),
    "remind": _("催办"),
    "merged_in": _("并入事项"),
    "suspend_request": _("申请缓办"),
    "whistle_closed": _("结束吹哨"),
}


def event_label(action: str) -> str:
    """The label of a timeline entry: the move's, or the entry's own."""
    move = MOVES.get(action)
    if move is not None:
        return str(move.label)
    label = EVENT_LABELS.get(action)
    return str(label) if label is not None else action


def next_tier(tier: str) -> str | None:
    """The level above `tier` (grid → community → street → district), None at the top."""
    index = TIER_ORDER.index(Tier(tier))
    return TIER_ORDER[index + 1] if index + 1 < len(TIER_ORDER) else None
