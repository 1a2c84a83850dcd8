"""Two dispatchers act on the same case at the same moment (PostgreSQL: real row locks, two
connections): one wins, the other gets a clear conflict, and nothing is lost or doubled."""

import threading

import pytest
from django.db import connection, connections

from gongzhi.cases import services
from gongzhi.cases.choices import State
from gongzhi.cases.models import Case, CaseEvent, Dispatch
from gongzhi.cases.workflow import IllegalTransition
from gongzhi.core.models import ObjectChange

from .conftest import NOW

# serialized_rollback: the flush after a transactional test would otherwise take the default
# routing rules (a data migration) away from the tests that run after this one.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def postgresql():
    # (skipif cannot see the connection at import time; skip before the territory is built)
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: concurrent transactions on separate connections with row locks")


def test_two_dispatchers_dispatch_the_same_case_at_once(postgresql, desk, make_case):
    case = make_case()
    version = case.version
    changes = ObjectChange.objects.count()
    contenders = [(desk.dispatcher, desk.property_company), (desk.dispatcher2, desk.committee)]
    for user, _body in contenders:  # warm the per-user caches outside the race
        services.roles_on(case, user)
    barrier = threading.Barrier(len(contenders))
    outcome: dict[str, object] = {}

    def dispatch(user, body):
        try:
            mine = Case.objects.get(pk=case.pk)  # this thread's own connection
            barrier.wait(timeout=10)
            services.dispatch_case(mine, actor=user, now=NOW, body=body, version=version)
            outcome[user.username] = body
        except (services.Conflict, IllegalTransition) as exc:
            outcome[user.username] = exc
        except Exception as exc:  # reported by the assertions below, not lost in the thread
            outcome[user.username] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=dispatch, args=pair) for pair in contenders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)

    winners = {name: body for name, body in outcome.items() if not isinstance(body, Exception)}
    losers = {name: exc for name, exc in outcome.items() if isinstance(exc, Exception)}
    assert len(winners) == 1 and len(losers) == 1, outcome
    (winner, body), (loser, exc) = next(iter(winners.items())), next(iter(losers.items()))
    assert {winner, loser} == {"diaodu", "diaodu2"}
    assert isinstance(exc, services.Conflict), repr(exc)
    (message,) = exc.messages
    assert message.startswith(f"该事项已被{winner}（")
    assert message.endswith("处理，当前为“待签收”。请刷新页面查看最新情况后再操作，您的操作未保存。")

    case.refresh_from_db()
    assert (case.state, case.body, case.version) == (State.DISPATCHED, body, version + 2)
    assert [(d.body, d.dispatched_by.username) for d in Dispatch.objects.filter(case=case)] == [(body, winner)]
    events = list(CaseEvent.objects.filter(case=case).values_list("action", "actor__username"))
    assert events == [("report", "wangge"), ("register", winner), ("dispatch", winner)]
    assert ObjectChange.objects.count() == changes + 2  # the winner's register and dispatch only
