"""seed_scale: a valid national data set built in bulk, refused twice and on a production-looking database, and
evaluated with a number of queries per chunk that does not depend on the chunk's size. Correctness only: the
timings live in benchmarks/."""

import io
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from guardian.shortcuts import get_objects_for_user

from applications.categories import clean_category_data
from applications.models import Application, Declaration, Engagement, NegativeItem, State
from eligibility.catalogue import RULES
from eligibility.models import CreditRecord, Evaluation
from eligibility.services import current_rule_sets, evaluate
from greenmfg.management.commands.seed_scale import MARK
from notices.models import Notice
from notices.selectors import open_notices_for
from organizations.credit_code import check_credit_code
from organizations.models import Organization
from reviews.models import Assignment, Panel, Referral
from reviews.selectors.experts import ConflictIndex, ranking
from reviews.services.experts import weighted_total

N = 60


def seed(**options) -> str:
    out = io.StringIO()
    call_command("seed_scale", applications=N, stdout=out, **options)
    return out.getvalue()


def loaded(ids):
    return list(
        Application.objects.filter(pk__in=ids)
        .select_related("applicant", "notice")
        .defer("notice__body")
        .order_by("id")
    )


@pytest.fixture
def seeded(db, settings):
    settings.DEBUG = False  # the test database's name is what lets it run
    return seed(notice_year=2030)


def test_counts_codes_and_data(seeded):
    assert "2030年度规模测试数据就绪：60 件申报" in seeded
    apps = list(Application.objects.select_related("applicant", "notice", "holder"))
    assert len(apps) == N
    assert Declaration.objects.count() == N * len(NegativeItem.values)
    assert set(Counter(Declaration.objects.values_list("application_id", flat=True)).values()) == {9}
    assert {a.category for a in apps} >= {"factory", "park"}
    assert len({a.state for a in apps}) >= 4

    orgs = Organization.objects.filter(address=MARK)
    codes = [o.credit_code for o in orgs.exclude(credit_code="")]
    assert len(codes) == len(set(codes)) == orgs.filter(kind__in=["enterprise", "park", "assessor"]).count()
    for code in codes:
        check = check_credit_code(code)
        assert check.ok and not check.warning, (code, check.errors, check.warning)
        assert code[2:8] in {o.region_id for o in orgs}  # positions 3–8: a real region code of the portal
    assert orgs.filter(kind="assessor").count() == 60
    reps = Counter(orgs.filter(kind="assessor").values_list("legal_representative", flat=True))
    assert any(n > 1 for n in reps.values())  # some assessors share a legal representative

    for app in apps:
        # The category data is what the portal's own form accepts, unchanged.
        assert clean_category_data(app.category, app.data) == app.data
        # Applied under a published notice of the applicant's own chain.
        assert app.notice.status == Notice.Status.PUBLISHED and app.notice.year == 2030
        assert app.notice.pk in {n.pk for n in open_notices_for(app.applicant)}
        assert app.applicant.competent_authority.kind == "authority"
        if app.state == State.DRAFT:
            assert app.holder_id == app.applicant_id and app.submitted_at is None
        if app.state in (State.UNDER_REVIEW, State.NOT_RECOMMENDED, State.RECOMMENDED):
            # Up the chain from the applicant's authority to the holder: each level below recommended it.
            chain = list(Referral.objects.filter(application=app).order_by("id"))
            assert chain[0].authority_id == app.applicant.competent_authority_id
            assert chain[-1].authority_id == app.holder_id
            assert all(r.decision == "recommend" for r in chain[:-1])
            assert all(a.authority.parent_id == b.authority_id for a, b in zip(chain, chain[1:], strict=False))
            last = {State.UNDER_REVIEW: "", State.NOT_RECOMMENDED: "not_recommend", State.RECOMMENDED: "recommend"}
            assert chain[-1].decision == last[app.state]
            if app.state != State.UNDER_REVIEW:
                assert app.holder_id == app.applicant.competent_authority_id
    # A third-party application has exactly one live engagement; every live engagement is on one.
    live = Engagement.objects.filter(status__in=["pending", "accepted"])
    assert {e.application_id for e in live} == {a.pk for a in apps if a.evaluation_mode == "third_party"}
    assert CreditRecord.objects.filter(source__endswith="（规模测试2030）").exists()
    assert any(a.state == State.UNDER_REVIEW and a.holder.level == "province" for a in apps)


def test_expert_review_at_the_provinces(seeded):
    panels = list(Panel.objects.select_related("authority", "notice"))
    assert panels and all(p.authority.level == "province" and p.notice.issuer_id == p.authority_id for p in panels)
    held = Application.objects.filter(state=State.UNDER_REVIEW, holder__level="province")
    assert {(a.holder_id, a.category) for a in held} == {(p.authority_id, p.category) for p in panels}
    ranked = 0
    for panel in panels:
        criteria = list(panel.criteria.all())
        experts = list(panel.experts.select_related("user"))
        assert len(criteria) >= 5 and len(experts) == 15
        assert all(e.pool_id == panel.authority_id for e in experts)
        assignments = list(panel.assignments.select_related("application__applicant", "expert__user"))
        apps = {a.application for a in assignments}
        assert {a.pk for a in apps} == set(
            held.filter(holder=panel.authority, category=panel.category).values_list("pk", flat=True)
        )
        index = ConflictIndex(experts, apps)
        active = Counter()
        for a in assignments:
            if a.status == Assignment.Status.DECLINED:
                assert a.decline_reason and not a.scores.exists()
                continue
            active[a.application_id] += 1
            assert not index.reasons(a.expert, a.application)  # never an expert with a conflict
            visible = get_objects_for_user(a.expert.user, "applications.view_application", klass=Application)
            assert a.application in visible  # as assignment_create grants
            if a.status == Assignment.Status.SUBMITTED:
                values = {s.criterion_id: s.value for s in a.scores.all()}
                assert set(values) == {c.pk for c in criteria}
                assert a.total == weighted_total(criteria, values)
            else:
                assert a.total is None and not a.scores.exists()
        assert set(active.values()) == {3}
        table = ranking(panel)
        assert {r.application.pk for r in table.rows} == {a.pk for a in apps} and table.quota
        assert all((r.rank is not None) == bool(r.totals) for r in table.rows)
        ranked += sum(r.rank is not None for r in table.rows)
    assert ranked >= len(held) // 2  # most applications are scored


def test_authority_tree_shape(seeded):
    authorities = list(Organization.objects.filter(kind="authority", address=MARK).select_related("parent"))
    by_level = Counter(a.level for a in authorities)
    (ministry,) = [a for a in authorities if a.level == "ministry"]
    provinces = [a for a in authorities if a.level == "province"]
    assert len(provinces) == 31 and all(p.parent_id == ministry.pk for p in provinces)
    assert len({p.region_id for p in provinces}) == 31
    for a in authorities:
        if a.level == "city":
            assert a.parent.level == "province" and a.parent.region_id[:2] == a.region_id[:2]
        if a.level == "county":
            assert a.parent.level in ("city", "province") and a.parent.region_id[:2] == a.region_id[:2]
            if a.parent.level == "city":
                assert a.parent.region_id[:4] == a.region_id[:4]
    from organizations.models import Region

    assert by_level["city"] >= 0.8 * Region.objects.filter(level="city", parent__code__lt="710000").count()
    assert by_level["county"] >= 0.4 * Region.objects.filter(level="county", code__lt="710000").count()
    # The year's chain: the ministry's notice, every province forwarding it, some cities forwarding theirs.
    notices = list(Notice.objects.filter(year=2030).select_related("issuer", "forwards"))
    assert sum(n.forwards_id is None for n in notices) == 1
    assert sum(n.issuer.level == "province" and n.forwards.issuer_id == ministry.pk for n in notices) == 31
    cities = [n for n in notices if n.issuer.level == "city"]
    assert cities and all(n.forwards.issuer_id == n.issuer.parent_id for n in cities)
    assert all(n.deadlines.filter(stage="applicant").exists() for n in cities)


def test_grants_follow_the_flow(seeded):
    app = Application.objects.filter(state=State.UNDER_REVIEW).select_related("holder").first()
    if app is None:
        pytest.skip("no application under review in this small draw")
    holder = app.holder
    username = "scale-ministry" if holder.level == "ministry" else f"scale-{holder.region_id}"
    user = get_user_model().objects.get(username=username)
    visible = get_objects_for_user(user, "applications.view_application", klass=Application, accept_global_perms=False)
    assert app in visible
    assert app.applicant.group.applicationgroupobjectpermission_set.filter(content_object=app).exists()


def test_a_second_run_is_refused_and_force_rebuilds_the_year(seeded, settings):
    before = (Application.objects.count(), Organization.objects.count(), Notice.objects.count())
    with pytest.raises(CommandError) as excinfo:
        seed(notice_year=2030)
    assert "已生成过2030年度" in str(excinfo.value) and "--force" in str(excinfo.value)
    assert (Application.objects.count(), Organization.objects.count(), Notice.objects.count()) == before

    evaluate(loaded(Application.objects.values_list("pk", flat=True)))  # evaluations must not block the rebuild
    seed(notice_year=2030, force=True)
    assert (Application.objects.count(), Organization.objects.count()) == before[:2]
    assert Evaluation.objects.count() == 0

    seed(notice_year=2031)  # another year: the same organizations apply again
    assert Application.objects.filter(notice__year=2031).count() == N
    assert Organization.objects.count() == before[1]


def test_refuses_a_production_looking_database_without_force(db, settings, monkeypatch):
    settings.DEBUG = False
    monkeypatch.setitem(connection.settings_dict, "NAME", "greenmfg")
    with pytest.raises(CommandError) as excinfo:
        seed()
    assert "不像测试或基准库" in str(excinfo.value) and "--force" in str(excinfo.value)
    assert not Organization.objects.exists()


def test_evaluate_over_the_seeded_set_with_a_fixed_number_of_queries_per_chunk(seeded):
    # Queries depend on which kinds of facts a chunk has (an assessor's projects are counted only where a chunk has
    # a third-party application), never on its size: the small chunk has every kind the whole set has.
    everything = Application.objects.order_by("id")
    ids = list(everything.filter(evaluation_mode="third_party").values_list("pk", flat=True))
    ids += [pk for pk in everything.filter(category="factory").values_list("pk", flat=True) if pk not in ids]
    ids += [pk for pk in everything.values_list("pk", flat=True) if pk not in ids]
    assert len(ids) == N and everything.filter(evaluation_mode="third_party", pk__in=ids[:10]).exists()
    current_rule_sets(set(Application.objects.values_list("notice_id", flat=True)))  # made before counting
    counts = {}
    for size in (10, N):
        apps = loaded(ids[:size])
        with CaptureQueriesContext(connection) as ctx:
            result = evaluate(apps, force=True)
        counts[size] = len(ctx)
        assert set(result) == set(ids[:size]) and all(ev.pk for ev in result.values())
    assert counts[10] == counts[N], counts
    with CaptureQueriesContext(connection) as small:
        evaluate(loaded(ids[:10]))
    with CaptureQueriesContext(connection) as whole:
        again = evaluate(loaded(ids))
    assert len(small) == len(whole)
    assert Evaluation.objects.count() == 10 + N  # nothing changed: all re-used
    stored = {ev.pk: ev for ev in Evaluation.objects.filter(pk__in=[ev.pk for ev in again.values()])}
    for app_id, ev in again.items():
        assert stored[ev.pk].application_id == app_id and stored[ev.pk].facts == ev.facts
        assert len(ev.findings) == len(RULES)
