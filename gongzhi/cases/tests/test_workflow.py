"""The transition table, exhaustively: every move from every state, for every kind of actor."""

import itertools

import pytest

from gongzhi.cases import workflow
from gongzhi.cases.choices import State, Tier
from gongzhi.cases.workflow import Actor, IllegalTransition

S, A = State, Actor
# The specification, written out independently of workflow.MOVES: move → (sources, target, actors).
EXPECTED = {
    "register": ({S.REPORTED}, S.REGISTERED, {A.DISPATCHER}),
    "reject": ({S.REPORTED, S.REGISTERED}, S.REJECTED, {A.DISPATCHER}),
    "merge": ({S.REPORTED, S.REGISTERED}, S.MERGED, {A.DISPATCHER}),
    "dispatch": ({S.REGISTERED, S.RETURNED}, S.DISPATCHED, {A.DISPATCHER}),
    "redispatch": ({S.DISPATCHED}, S.DISPATCHED, {A.DISPATCHER}),
    "accept": ({S.DISPATCHED}, S.ACCEPTED, {A.HANDLER}),
    "return": ({S.DISPATCHED}, S.RETURNED, {A.HANDLER}),
    "plan": ({S.ACCEPTED}, S.PLANNED, {A.HANDLER}),
    "handle": ({S.ACCEPTED, S.PLANNED}, S.HANDLED, {A.HANDLER}),
    "suspend": ({S.ACCEPTED, S.PLANNED}, S.SUSPENDED, {A.DISPATCHER}),
    "resume": ({S.SUSPENDED}, None, {A.DISPATCHER}),
    "escalate": (
        {S.REGISTERED, S.DISPATCHED, S.RETURNED, S.ACCEPTED, S.PLANNED},
        S.REGISTERED,
        {A.DISPATCHER, A.HANDLER, A.SYSTEM},
    ),
    "verify": ({S.HANDLED}, S.VERIFIED, {A.VERIFIER}),
    "rework": ({S.HANDLED}, S.ACCEPTED, {A.VERIFIER}),
    "rate": ({S.VERIFIED}, S.CLOSED, {A.REPORTER}),
    "close": ({S.VERIFIED}, S.CLOSED, {A.DISPATCHER}),
    "expire": ({S.VERIFIED}, S.CLOSED, {A.SYSTEM}),
    "reopen": ({S.CLOSED}, S.DISPATCHED, {A.REPORTER}),
}
NOTE_REQUIRED = {"reject", "redispatch", "return", "plan", "handle", "suspend", "escalate", "rework", "close", "reopen"}


def test_the_table_is_the_specification():
    assert set(workflow.MOVES) == set(EXPECTED)
    for name, (sources, target, actors) in EXPECTED.items():
        move = workflow.MOVES[name]
        assert (set(move.sources), move.target, set(move.actors)) == (sources, target, actors), name
        assert move.note_required == (name in NOTE_REQUIRED), name
    assert {n for n, m in workflow.MOVES.items() if m.needs_body} == {"dispatch", "redispatch"}
    assert {n for n, m in workflow.MOVES.items() if m.needs_target_case} == {"merge"}


@pytest.mark.parametrize(("state", "name"), list(itertools.product(State.values, sorted(EXPECTED))))
def test_every_move_from_every_state(state, name):
    sources, target, _actors = EXPECTED[name]
    if state in sources:
        assert workflow.target_state(state, name, resume_state=S.PLANNED) == (target or S.PLANNED)
    else:
        with pytest.raises(IllegalTransition) as exc:
            workflow.target_state(state, name)
        label = State(state).label
        assert exc.value.messages == [f"事项当前为“{label}”，不能{workflow.MOVES[name].label}。"]


@pytest.mark.parametrize(("name", "actor"), list(itertools.product(sorted(EXPECTED), list(Actor))))
def test_every_move_for_every_actor(name, actor):
    allowed = actor in EXPECTED[name][2]
    if allowed:
        workflow.check_actor(name, {actor})
    else:
        with pytest.raises(IllegalTransition) as exc:
            workflow.check_actor(name, {actor})
        assert exc.value.messages == [f"您无权对该事项执行“{workflow.MOVES[name].label}”。"]


def test_terminal_states_offer_nothing_but_reopen_of_a_closed_case():
    everyone = set(Actor)
    assert workflow.available(S.REJECTED, everyone) == []
    assert workflow.available(S.MERGED, everyone) == []
    assert [m.name for m in workflow.available(S.CLOSED, everyone)] == ["reopen"]


def test_available_moves_per_role():
    assert [m.name for m in workflow.available(S.REPORTED, {A.DISPATCHER})] == ["register", "reject", "merge"]
    assert [m.name for m in workflow.available(S.DISPATCHED, {A.HANDLER})] == ["accept", "return", "escalate"]
    assert [m.name for m in workflow.available(S.HANDLED, {A.VERIFIER})] == ["verify", "rework"]
    assert [m.name for m in workflow.available(S.VERIFIED, {A.REPORTER})] == ["rate"]
    assert workflow.available(S.HANDLED, {A.REPORTER}) == []


def test_resume_goes_back_where_it_was_and_nowhere_else():
    assert workflow.target_state(S.SUSPENDED, "resume", resume_state=S.ACCEPTED) == S.ACCEPTED
    for bad in ("", S.SUSPENDED, S.CLOSED, "nonsense"):
        with pytest.raises(IllegalTransition):
            workflow.target_state(S.SUSPENDED, "resume", resume_state=bad)


def test_unknown_move_is_refused():
    with pytest.raises(IllegalTransition) as exc:
        workflow.target_state(S.REPORTED, "teleport")
    assert exc.value.messages == ["未知的操作“teleport”。"]


def test_tiers_go_up_one_at_a_time():
    assert [workflow.next_tier(t) for t in (Tier.GRID, Tier.COMMUNITY, Tier.STREET, Tier.DISTRICT)] == [
        Tier.COMMUNITY,
        Tier.STREET,
        Tier.DISTRICT,
        None,
    ]
