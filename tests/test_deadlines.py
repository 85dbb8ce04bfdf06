"""Deadlines bite to the second in Asia/Shanghai, honour extensions, and nest down the forwarding chain."""

import pytest
from django.core.exceptions import ValidationError

from notices import services
from notices.models import Deadline
from notices.selectors import deadline_for
from tests.notice_helpers import published_notice, sh


@pytest.fixture
def chain(tree, django_user_model):
    """Ministry → province → city notices, as in 000 (cities by 5/31, counties by 5/17)."""
    root = django_user_model.objects.create_superuser("root", "root@example.test", "x-unused-password-1")
    ministry_notice = published_notice(root, tree.ministry, deadlines=[("authority", sh(2024, 9, 5, 23, 59, 59))])
    province_notice = published_notice(
        root, tree.province, forwards=ministry_notice, deadlines=[("authority", sh(2024, 5, 31, 23, 59, 59))]
    )
    city_notice = published_notice(
        root,
        tree.city,
        forwards=province_notice,
        deadlines=[("authority", sh(2024, 5, 17, 23, 59, 59)), ("applicant", sh(2024, 5, 10, 17, 0, 0))],
    )
    tree.root = root
    return ministry_notice, province_notice, city_notice


def test_nearest_issuer_sets_the_deadline(tree, chain):
    ministry_notice, province_notice, city_notice = chain
    assert deadline_for(notice=ministry_notice, organization=tree.province, stage="authority").due_at == sh(
        2024, 9, 5, 23, 59, 59
    )
    assert deadline_for(notice=ministry_notice, organization=tree.city, stage="authority").due_at == sh(
        2024, 5, 31, 23, 59, 59
    )
    assert deadline_for(notice=ministry_notice, organization=tree.county, stage="authority").due_at == sh(
        2024, 5, 17, 23, 59, 59
    )
    applicant = deadline_for(notice=province_notice, organization=tree.ent, stage="applicant")
    assert applicant.due_at == sh(2024, 5, 10, 17, 0, 0) and applicant.notice == city_notice
    # 大同 did not forward: its county falls back to the province's date for cities.
    assert deadline_for(notice=city_notice, organization=tree.other_county, stage="authority").due_at == sh(
        2024, 5, 31, 23, 59, 59
    )
    # No applicant deadline anywhere up 大同's chain.
    assert deadline_for(notice=city_notice, organization=tree.other_ent, stage="applicant") is None


@pytest.mark.parametrize(
    ("moment", "late"),
    [
        (sh(2024, 5, 17, 23, 59, 58), False),
        (sh(2024, 5, 17, 23, 59, 59), False),
        (sh(2024, 5, 17, 23, 59, 59, 999999), False),
        (sh(2024, 5, 18, 0, 0, 0), True),
        (sh(2024, 5, 18, 0, 0, 1), True),
    ],
)
def test_county_deadline_boundary_in_shanghai_time(tree, chain, moment, late):
    _, _, city_notice = chain
    if late:
        with pytest.raises(services.DeadlinePassed) as exc:
            services.deadline_enforce(notice=city_notice, organization=tree.county, stage="authority", at=moment)
        message = exc.value.messages[0]
        assert "2024年5月17日 23:59:59" in message and "逾期则视为无申报企业" in message
        assert "太原市工信局（测试）" in message
    else:
        assert services.deadline_enforce(
            notice=city_notice, organization=tree.county, stage="authority", at=moment
        ).due_at == sh(2024, 5, 17, 23, 59, 59)


def test_boundary_is_shanghai_midnight_not_utc(tree, chain):
    _, _, city_notice = chain
    from datetime import UTC, datetime

    # 2024-05-17 16:00:00 UTC is 2024-05-18 00:00:00 in Shanghai: late.
    with pytest.raises(services.DeadlinePassed):
        services.deadline_enforce(
            notice=city_notice,
            organization=tree.county,
            stage="authority",
            at=datetime(2024, 5, 17, 16, 0, 0, tzinfo=UTC),
        )
    services.deadline_enforce(
        notice=city_notice,
        organization=tree.county,
        stage="authority",
        at=datetime(2024, 5, 17, 15, 59, 59, tzinfo=UTC),
    )


def test_extension_is_honoured_to_the_second_for_that_organization_only(tree, chain):
    _, _, city_notice = chain
    deadline = city_notice.deadlines.get(stage="authority")
    from tests.factories import authority

    other_county = authority("迎泽区工信局（测试）", "140106", "county", tree.city)
    ext = services.extension_grant(
        actor=tree.users["city"],
        deadline=deadline,
        organization=tree.county,
        new_due_at=sh(2024, 5, 20, 18, 0, 0),
        reason="系统故障，材料未能按时上传",
    )
    assert ext.granted_by == tree.users["city"]
    services.deadline_enforce(
        notice=city_notice, organization=tree.county, stage="authority", at=sh(2024, 5, 20, 18, 0, 0)
    )
    with pytest.raises(services.DeadlinePassed) as exc:
        services.deadline_enforce(
            notice=city_notice, organization=tree.county, stage="authority", at=sh(2024, 5, 20, 18, 0, 1)
        )
    assert "2024年5月20日 18:00:00（含延期）" in exc.value.messages[0]
    with pytest.raises(services.DeadlinePassed):
        services.deadline_enforce(
            notice=city_notice, organization=other_county, stage="authority", at=sh(2024, 5, 18, 0, 0, 0)
        )
    # The county's members were told.
    assert tree.users["county"].notifications.filter(title__contains="已延期").exists()


def test_extension_needs_reason_later_date_and_the_issuer(tree, chain):
    _, _, city_notice = chain
    deadline = city_notice.deadlines.get(stage="authority")
    with pytest.raises(ValidationError, match="请填写延期理由"):
        services.extension_grant(
            actor=tree.users["city"],
            deadline=deadline,
            organization=tree.county,
            new_due_at=sh(2024, 5, 20, 18, 0, 0),
            reason=" ",
        )
    with pytest.raises(ValidationError, match="应晚于原截止时间"):
        services.extension_grant(
            actor=tree.users["city"],
            deadline=deadline,
            organization=tree.county,
            new_due_at=sh(2024, 5, 17, 12, 0, 0),
            reason="理由",
        )
    with pytest.raises(ValidationError, match="不能晚于本单位向上级报送的截止时间"):
        services.extension_grant(
            actor=tree.users["city"],
            deadline=deadline,
            organization=tree.county,
            new_due_at=sh(2024, 6, 1, 0, 0, 0),
            reason="理由",
        )
    with pytest.raises(ValidationError, match="不适用于"):
        services.extension_grant(
            actor=tree.users["city"],
            deadline=deadline,
            organization=tree.other_county,
            new_due_at=sh(2024, 5, 20, 0, 0, 0),
            reason="理由",
        )
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.extension_grant(
            actor=tree.users["county"],
            deadline=deadline,
            organization=tree.county,
            new_due_at=sh(2024, 5, 20, 0, 0, 0),
            reason="自己给自己延期",
        )
    assert not deadline.extensions.exists()


def test_city_cannot_set_a_deadline_later_than_the_provinces(tree, chain):
    _, province_notice, _ = chain
    draft = services.notice_forward(actor=tree.users["other_city"], notice=province_notice, authority=tree.other_city)
    with pytest.raises(ValidationError) as exc:
        services.deadline_set(
            actor=tree.users["other_city"], notice=draft, stage="authority", due_at=sh(2024, 6, 1, 0, 0, 0)
        )
    assert "不能晚于上级通知规定的本单位报送截止时间2024年5月31日 23:59:59" in str(exc.value)
    assert not Deadline.objects.filter(notice=draft).exists()
    ok = services.deadline_set(
        actor=tree.users["other_city"], notice=draft, stage="authority", due_at=sh(2024, 5, 31, 23, 59, 59)
    )
    assert ok.due_at == sh(2024, 5, 31, 23, 59, 59)


def test_published_notice_cannot_change_its_deadlines(tree, chain):
    _, _, city_notice = chain
    with pytest.raises(ValidationError, match="通知已发布"):
        services.deadline_set(
            actor=tree.users["city"], notice=city_notice, stage="authority", due_at=sh(2024, 5, 15, 0, 0, 0)
        )


def test_forwarding_copies_categories_and_refuses_twice_and_non_children(tree, chain):
    ministry_notice, province_notice, city_notice = chain
    assert set(city_notice.categories.values_list("category", flat=True)) == {"factory", "park", "supply_chain"}
    with pytest.raises(ValidationError, match="已转发过"):
        services.notice_forward(actor=tree.users["city"], notice=province_notice, authority=tree.city)
    with pytest.raises(ValidationError, match="不直接向"):
        services.notice_forward(actor=tree.users["county"], notice=province_notice, authority=tree.county)
    draft = services.notice_forward(actor=tree.users["county"], notice=city_notice, authority=tree.county)
    with pytest.raises(ValidationError, match="上级通知未开放"):
        services.notice_category_set(actor=tree.users["county"], notice=draft, category="product")


def test_publish_needs_categories_and_deadlines(tree):
    notice = services.notice_create(
        actor=tree.users["province"], issuer=tree.province, year=2025, title="测试通知", list_level="province"
    )
    with pytest.raises(ValidationError) as exc:
        services.notice_publish(actor=tree.users["province"], notice=notice)
    assert "至少开放一个申报类别" in str(exc.value) and "至少设置一个截止时间" in str(exc.value)
    notice.refresh_from_db()
    assert notice.status == "draft"
