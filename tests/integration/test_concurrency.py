"""Two people acting on the same application at once on PostgreSQL: exactly one wins, the other is told."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from applications.models import State
from reviews.models import Referral
from reviews.services import transition_perform
from tests.application_helpers import open_chain, ready_application

pytestmark = pytest.mark.integration


@pytest.fixture
def submitted(regions, tree_tx, django_user_model):
    tree = tree_tx
    root = django_user_model.objects.create_superuser("root", "root@example.test", "x-unused-password-1")
    notice = open_chain(tree, root)
    app = ready_application(tree.users["ent"], tree.ent, notice)
    return tree, transition_perform(actor=tree.users["ent"], application=app, action="submit")


def race(*calls):
    """Run the calls in threads released together; return what each returned or raised."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, fn):
        try:
            barrier.wait(timeout=10)
            results[i] = fn()
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test inspects
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


@pytest.mark.parametrize("rounds", range(5))
def test_withdraw_racing_a_county_decision_leaves_one_outcome(submitted, rounds):
    tree, app = submitted
    version = app.version
    results = race(
        lambda: transition_perform(
            actor=tree.users["ent"], application=app, action="withdraw", expected_version=version
        ),
        lambda: transition_perform(
            actor=tree.users["county"],
            application=app,
            action="not_recommend",
            reason="能效未达标",
            expected_version=version,
        ),
    )
    winners = [r for r in results if not isinstance(r, Exception)]
    losers = [r for r in results if isinstance(r, Exception)]
    assert len(winners) == 1 and len(losers) == 1, results
    assert isinstance(losers[0], ValidationError)
    assert "已被他人处理" in losers[0].messages[0] or "不能" in losers[0].messages[0]
    app.refresh_from_db()
    assert app.state in (State.WITHDRAWN, State.NOT_RECOMMENDED)
    assert app.version == version + 1
    decisions = list(Referral.objects.filter(application=app).values_list("decision", flat=True))
    assert decisions == ["withdrawn" if app.state == State.WITHDRAWN else "not_recommend"]


def test_racing_without_a_version_still_leaves_one_outcome(submitted):
    tree, app = submitted
    results = race(
        lambda: transition_perform(actor=tree.users["ent"], application=app, action="withdraw"),
        lambda: transition_perform(actor=tree.users["county"], application=app, action="return", reason="补充材料"),
    )
    assert sum(not isinstance(r, Exception) for r in results) == 1, results
    app.refresh_from_db()
    assert app.state in (State.WITHDRAWN, State.RETURNED) and app.version == 3


@pytest.mark.parametrize("rounds", range(3))
def test_two_reviewers_of_one_county_deciding_at_once(submitted, rounds):
    """One recommends while a colleague returns it: one decision stands, the other is told what happened."""
    from tests.factories import member

    tree, app = submitted
    colleague = member(tree.county, role="approver", username=f"county-colleague-{rounds}")
    version = app.version
    results = race(
        lambda: transition_perform(
            actor=tree.users["county"], application=app, action="recommend", reason="同意推荐", expected_version=version
        ),
        lambda: transition_perform(
            actor=colleague, application=app, action="return", reason="补充能耗数据", expected_version=version
        ),
    )
    losers = [r for r in results if isinstance(r, Exception)]
    assert len(losers) == 1, results
    assert "该申报已被他人处理" in losers[0].messages[0] or "刚刚被他人处理" in losers[0].messages[0]
    app.refresh_from_db()
    assert app.state in (State.RECOMMENDED, State.RETURNED) and app.version == version + 1
    referral = Referral.objects.get(application=app)
    assert referral.decision == ("recommend" if app.state == State.RECOMMENDED else "return")
