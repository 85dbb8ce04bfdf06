"""REST API for notices: visibility per jurisdiction, the deadline that binds the caller, the issuing flow with token
auth, refusals in Chinese, a fixed number of queries for the list, and the OpenAPI schema."""

from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from drf_spectacular.drainage import reset_generator_stats
from rest_framework.test import APIClient

from activity.models import Notification
from notices import services
from notices.models import Deadline, Notice
from tests.factories import PASSWORD, authority, member
from tests.notice_helpers import published_notice, sh

NATIONAL_DUE = sh(2024, 9, 5, 23, 59, 59)
CITY_DUE = sh(2024, 5, 31, 23, 59, 59)
COUNTY_DUE = sh(2024, 5, 17, 23, 59, 59)
APPLICANT_DUE = sh(2024, 5, 10, 17, 0, 0)


@pytest.fixture
def api():
    return APIClient()


def as_user(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def world(tree, django_user_model):
    """Ministry → 山西 → 太原 published (000's dates); 大同 forwarded too; 吉林 forwarded; a 太原 draft."""
    root = django_user_model.objects.create_superuser("root", "root@example.test", "x-unused-password-1")
    tree.root = root
    tree.jilin = authority("吉林省工信厅（测试）", "220000", "province", tree.ministry)
    tree.users["jilin"] = member(tree.jilin, username="u-jilin")

    ministry = services.notice_create(
        actor=root,
        issuer=tree.ministry,
        year=2024,
        title="关于组织开展2024年度绿色制造名单推荐工作的通知",
        doc_number="工信厅节函〔2024〕1号",
        list_level="national",
        body="各省、自治区、直辖市工业和信息化主管部门：……",
        categories=["factory", "park", "supply_chain"],
    )
    factory = ministry.categories.get(category="factory")
    services.notice_category_set(
        actor=root, notice=ministry, category="factory", self_evaluation_allowed=False, assessor_cap=15
    )
    services.material_save(
        actor=root, notice_category=factory, name="第三方评价报告", accepted_types="pdf", max_size_mb=50, position=1
    )
    services.material_save(
        actor=root,
        notice_category=factory,
        name="能源消耗数据表",
        accepted_types="xlsx, pdf",
        required=False,
        position=2,
    )
    services.deadline_set(actor=root, notice=ministry, stage="authority", due_at=NATIONAL_DUE)
    ministry = services.notice_publish(actor=root, notice=ministry)
    province = published_notice(root, tree.province, forwards=ministry, deadlines=[("authority", CITY_DUE)])
    city = published_notice(
        root, tree.city, forwards=province, deadlines=[("authority", COUNTY_DUE), ("applicant", APPLICANT_DUE)]
    )
    other_city = published_notice(
        root, tree.other_city, forwards=province, deadlines=[("authority", sh(2024, 5, 20, 23, 59, 59))]
    )
    jilin = published_notice(root, tree.jilin, forwards=ministry, deadlines=[("authority", sh(2024, 7, 20, 17, 0, 0))])
    city_draft = services.notice_create(
        actor=root,
        issuer=tree.city,
        year=2024,
        title="太原市市级绿色工厂评价通知",
        list_level="city",
        categories=["factory"],
    )
    return SimpleNamespace(
        ministry=ministry, province=province, city=city, other_city=other_city, jilin=jilin, city_draft=city_draft
    )


def listed(client, query="") -> set[int]:
    response = client.get(f"/api/v1/notices/{query}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == len(body["results"])
    return {row["id"] for row in body["results"]}


# Visibility


def test_enterprise_lists_the_published_notices_of_its_chain_only(tree, world):
    client = as_user(tree.users["ent"])
    assert listed(client) == {world.ministry.pk, world.province.pk, world.city.pk}
    for notice in (world.ministry, world.province, world.city):
        assert client.get(f"/api/v1/notices/{notice.pk}/").status_code == 200
    for notice in (world.other_city, world.jilin, world.city_draft):
        response = client.get(f"/api/v1/notices/{notice.pk}/")
        assert response.status_code == 404
        assert "title" not in response.json()


def test_list_rows_carry_categories_materials_and_own_deadlines(tree, world):
    body = as_user(tree.users["ent"]).get("/api/v1/notices/").json()
    city = next(row for row in body["results"] if row["id"] == world.city.pk)
    assert city["issuer"] == tree.city.pk and city["issuer_name"] == tree.city.name
    assert city["status"] == "published" and city["status_display"] == "已发布"
    assert city["list_level"] == "national" and city["list_level_display"] == "国家级"
    assert city["forwards"] == world.province.pk and city["forwards_title"] == world.province.title
    assert [c["code"] for c in city["categories"]] == ["factory", "park", "supply_chain"]
    factory = city["categories"][0]
    assert factory["label"] == "绿色工厂"
    # Options and materials were copied down the forwarding chain from the ministry's notice.
    assert factory["options"] == {
        "self_evaluation_allowed": False,
        "third_party_allowed": True,
        "assessor_cap": 15,
        "cap_basis": "legal_entity",
        "cap_basis_display": "按法人（含关联单位）",
        "cap_period": "batch",
        "cap_period_display": "每批次",
    }
    assert [(m["name"], m["required"], m["accepted_types"], m["max_size_mb"]) for m in factory["materials"]] == [
        ("第三方评价报告", True, ["pdf"], 50),
        ("能源消耗数据表", False, ["xlsx", "pdf"], 20),
    ]
    assert {(d["stage"], d["due_at"], d["authority"]) for d in city["deadlines"]} == {
        ("authority", "2024-05-17T23:59:59+08:00", None),
        ("applicant", "2024-05-10T17:00:00+08:00", None),
    }
    # The enterprise's binding deadline, resolved down the chain: 太原's applicant date, on every row of the family.
    assert [(d["stage"], d["due_at"], d["notice"]) for d in city["deadlines_for_me"]] == [
        ("applicant", "2024-05-10T17:00:00+08:00", world.city.pk)
    ]
    ministry_row = next(row for row in body["results"] if row["id"] == world.ministry.pk)
    assert ministry_row["deadlines_for_me"] == city["deadlines_for_me"]
    assert "body" not in city


def test_authorities_see_their_own_drafts_and_what_their_subordinates_published(tree, world):
    city = as_user(tree.users["city"])
    assert listed(city) == {world.ministry.pk, world.province.pk, world.city.pk, world.city_draft.pk}
    assert listed(city, "?status=draft") == {world.city_draft.pk}
    draft = city.get(f"/api/v1/notices/{world.city_draft.pk}/").json()
    assert draft["status"] == "draft" and draft["title"] == "太原市市级绿色工厂评价通知"

    county = as_user(tree.users["county"])
    assert world.city_draft.pk not in listed(county)
    assert county.get(f"/api/v1/notices/{world.city_draft.pk}/").status_code == 404

    province = as_user(tree.users["province"])
    assert listed(province) == {world.ministry.pk, world.province.pk, world.city.pk, world.other_city.pk}

    ministry = as_user(tree.users["ministry"])
    assert listed(ministry) == {
        world.ministry.pk,
        world.province.pk,
        world.city.pk,
        world.other_city.pk,
        world.jilin.pk,
    }


def test_another_provinces_notice_is_404_for_every_method(tree, world):
    client = as_user(tree.users["province"])
    url = f"/api/v1/notices/{world.jilin.pk}/"
    hidden = client.get(url)
    assert hidden.status_code == 404
    # The same answer as for a notice that does not exist at all.
    assert hidden.json() == {"detail": "未找到该通知，或您无权查看。"}
    assert client.get("/api/v1/notices/999999/").json() == hidden.json()
    assert client.patch(url, {"title": "改"}, format="json").status_code == 404
    assert client.post(f"{url}publish/").status_code == 404
    assert client.post(f"{url}forward/", {"authority": tree.province.pk}, format="json").status_code == 404
    response = client.post(f"{url}deadlines/", {"stage": "authority", "due_at": "2024-07-01T17:00:00"}, format="json")
    assert response.status_code == 404
    assert not Deadline.objects.filter(notice=world.jilin, due_at=sh(2024, 7, 1, 17, 0, 0)).exists()
    world.jilin.refresh_from_db()
    assert world.jilin.title != "改"
    assert client.get("/api/v1/notices/999999/").status_code == 404
    assert client.get("/api/v1/notices/abc/").status_code == 404


def test_filters_by_year_and_status(tree, world):
    services.notice_close(actor=tree.root, notice=world.ministry)
    older = published_notice(
        tree.root, tree.province, year=2023, list_level="province", deadlines=[("authority", sh(2023, 6, 1, 0, 0, 0))]
    )
    client = as_user(tree.users["ent"])
    assert listed(client, "?year=2023") == {older.pk}
    assert listed(client, "?year=2024") == {world.ministry.pk, world.province.pk, world.city.pk}
    assert listed(client, "?status=closed") == {world.ministry.pk}
    assert listed(client, "?year=2024&status=published") == {world.province.pk, world.city.pk}
    assert listed(client, "?status=draft") == set()

    bad = client.get("/api/v1/notices/?year=二〇二四")
    assert bad.status_code == 400
    assert set(bad.json()) == {"year"}
    assert "整数" in bad.json()["year"][0]
    assert client.get("/api/v1/notices/?status=archived").status_code == 400


# The deadline that binds the caller


def test_deadlines_for_me_enterprise_gets_the_applicant_deadline_of_its_city(tree, world):
    client = as_user(tree.users["ent"])
    # Whichever notice of the family it opens, the nearest issuer's date applies: 太原's.
    for notice in (world.ministry, world.province, world.city):
        detail = client.get(f"/api/v1/notices/{notice.pk}/").json()
        assert detail["deadlines_for_me"] == [
            {
                "stage": "applicant",
                "stage_display": "申报单位提交",
                "organization": tree.ent.pk,
                "organization_name": tree.ent.name,
                "due_at": "2024-05-10T17:00:00+08:00",
                "original_due_at": "2024-05-10T17:00:00+08:00",
                "extended": False,
                "overdue": True,
                "notice": world.city.pk,
                "notice_title": world.city.title,
                "issuer_name": tree.city.name,
            }
        ]
    assert as_user(tree.users["ent"]).get(f"/api/v1/notices/{world.ministry.pk}/").json()["body"].startswith("各省")


def test_deadlines_for_me_county_gets_its_reporting_deadline_with_extension(tree, world):
    client = as_user(tree.users["county"])
    mine = client.get(f"/api/v1/notices/{world.province.pk}/").json()["deadlines_for_me"]
    assert len(mine) == 1
    assert mine[0]["stage"] == "authority" and mine[0]["stage_display"] == "主管部门报送"
    assert mine[0]["organization"] == tree.county.pk
    assert mine[0]["due_at"] == "2024-05-17T23:59:59+08:00"
    assert mine[0]["notice"] == world.city.pk and mine[0]["extended"] is False

    services.extension_grant(
        actor=tree.users["city"],
        deadline=world.city.deadlines.get(stage="authority"),
        organization=tree.county,
        new_due_at=sh(2024, 5, 20, 18, 0, 0),
        reason="系统故障，材料未能按时上传",
    )
    mine = client.get(f"/api/v1/notices/{world.province.pk}/").json()["deadlines_for_me"][0]
    assert mine["due_at"] == "2024-05-20T18:00:00+08:00"
    assert mine["original_due_at"] == "2024-05-17T23:59:59+08:00"
    assert mine["extended"] is True


def test_deadlines_for_me_for_other_callers(tree, world, django_user_model):
    def mine(role, notice):
        return as_user(tree.users[role]).get(f"/api/v1/notices/{notice.pk}/").json()["deadlines_for_me"]

    # The city reports to the province by 5/31; 大同 by the same date (its own notice binds its counties only).
    assert [d["due_at"] for d in mine("city", world.city)] == ["2024-05-31T23:59:59+08:00"]
    assert mine("other_city", world.other_city)[0]["notice"] == world.province.pk
    assert mine("province", world.province)[0]["due_at"] == "2024-09-05T23:59:59+08:00"
    # 平城's enterprise: no applicant deadline anywhere up its chain; a department, the ministry: none of their own.
    assert mine("other_ent", world.other_city) == []
    assert mine("eco", world.city) == []
    assert mine("ministry", world.ministry) == []
    root = as_user(tree.root).get(f"/api/v1/notices/{world.city.pk}/").json()
    assert root["deadlines_for_me"] == []


def test_deadline_in_the_future_is_not_overdue(tree, world):
    from datetime import timedelta

    from django.utils import timezone

    due = timezone.localtime(timezone.now() + timedelta(days=30)).replace(microsecond=0)
    notice = published_notice(
        tree.root, tree.province, year=2030, list_level="province", deadlines=[("applicant", due)]
    )
    mine = as_user(tree.users["ent"]).get(f"/api/v1/notices/{notice.pk}/").json()["deadlines_for_me"]
    assert mine[0]["overdue"] is False
    assert mine[0]["due_at"] == due.isoformat()


# Issuing through the API


def token_client(user) -> APIClient:
    client = APIClient()
    response = client.post("/api/v1/auth/token/", {"username": user.username, "password": PASSWORD}, format="json")
    assert response.status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    return client


def test_forward_set_deadlines_and_publish_with_token(tree, django_user_model, django_capture_on_commit_callbacks):
    root = django_user_model.objects.create_superuser("root", "root@example.test", "x-unused-password-1")
    ministry = published_notice(root, tree.ministry, deadlines=[("authority", NATIONAL_DUE)])
    province = published_notice(root, tree.province, forwards=ministry, deadlines=[("authority", CITY_DUE)])
    city = token_client(tree.users["city"])

    # Forward: the city is the only authority the user issues for that reports to the province.
    response = city.post(f"/api/v1/notices/{province.pk}/forward/", {}, format="json")
    assert response.status_code == 201, response.content
    draft = response.json()
    assert draft["status"] == "draft" and draft["issuer"] == tree.city.pk and draft["forwards"] == province.pk
    assert draft["title"] == f"关于转发{tree.province.name}《{province.title}》的通知"
    assert [c["code"] for c in draft["categories"]] == ["factory", "park", "supply_chain"]
    url = f"/api/v1/notices/{draft['id']}/"
    again = city.post(f"/api/v1/notices/{province.pk}/forward/", {"authority": tree.city.pk}, format="json")
    assert again.status_code == 400
    assert "本单位已转发过该通知" in again.json()["detail"]

    # A deadline later than the province's date for cities is refused, naming that date.
    late = city.post(f"{url}deadlines/", {"stage": "authority", "due_at": "2024-06-01T00:00:00+08:00"}, format="json")
    assert late.status_code == 400
    assert late.json() == {
        "due_at": [f"截止时间不能晚于上级通知规定的本单位报送截止时间2024年5月31日 23:59:59（{tree.province.name}）。"]
    }
    # A bare date would mean 00:00, a day before what was meant: a time is required.
    bare = city.post(f"{url}deadlines/", {"stage": "authority", "due_at": "2024-05-17"}, format="json")
    assert bare.status_code == 400
    assert bare.json() == {"due_at": ["请填写截止日期和时间（北京时间），如 2024-05-17T23:59:59+08:00。"]}
    garbled = city.post(f"{url}deadlines/", {"stage": "authority", "due_at": "2024-05-17T25:00"}, format="json")
    assert garbled.status_code == 400 and "日期时间格式错误" in garbled.json()["due_at"][0]
    assert not Deadline.objects.filter(notice_id=draft["id"]).exists()
    # A time without an offset is Beijing time; setting the same stage again changes it.
    first = city.post(f"{url}deadlines/", {"stage": "authority", "due_at": "2024-05-18T12:00:00"}, format="json")
    assert first.status_code == 201
    assert first.json()["due_at"] == "2024-05-18T12:00:00+08:00"
    changed = city.post(
        f"{url}deadlines/", {"stage": "authority", "due_at": "2024-05-17T23:59:59", "note": "逾期视为无申报企业"}
    )
    assert changed.status_code == 200
    assert changed.json()["id"] == first.json()["id"] and changed.json()["note"] == "逾期视为无申报企业"
    # UTC input is converted: 09:00Z is 17:00 in Beijing.
    applicant = city.post(f"{url}deadlines/", {"stage": "applicant", "due_at": "2024-05-10T09:00:00Z"}, format="json")
    assert applicant.status_code == 201
    assert applicant.json()["due_at"] == "2024-05-10T17:00:00+08:00"
    assert applicant.json()["stage_display"] == "申报单位提交"
    assert Deadline.objects.get(notice_id=draft["id"], stage="applicant").due_at == APPLICANT_DUE
    scoped = city.post(
        f"{url}deadlines/",
        {"stage": "authority", "due_at": "2024-05-15T17:00:00", "authority": tree.county.pk},
        format="json",
    )
    assert scoped.status_code == 201 and scoped.json()["authority_name"] == tree.county.name
    foreign = city.post(
        f"{url}deadlines/",
        {"stage": "authority", "due_at": "2024-05-15T17:00:00", "authority": tree.other_county.pk},
        format="json",
    )
    assert foreign.status_code == 400
    assert foreign.json() == {"authority": [f"“{tree.other_county.name}”不向“{tree.city.name}”报送。"]}

    # Edit the draft, drop a category.
    edited = city.patch(
        url, {"doc_number": "并工信发〔2024〕12号", "categories": ["factory", "supply_chain"]}, format="json"
    )
    assert edited.status_code == 200, edited.content
    assert edited.json()["doc_number"] == "并工信发〔2024〕12号"
    assert [c["code"] for c in edited.json()["categories"]] == ["factory", "supply_chain"]
    product = city.patch(url, {"categories": ["factory", "product"]}, format="json")
    assert product.status_code == 400
    assert "上级通知未开放“绿色设计产品”" in product.json()["categories"][0]
    assert [c.category for c in Notice.objects.get(pk=draft["id"]).categories.all()] == ["factory", "supply_chain"]

    # Publish: the county and its enterprise are told, and now see it with the city's dates.
    with django_capture_on_commit_callbacks(execute=True):
        published = city.post(f"{url}publish/")
    assert published.status_code == 200
    assert published.json()["status"] == "published" and published.json()["published_at"]
    assert Notification.objects.filter(recipient=tree.users["county"], title__startswith="新通知").exists()
    assert Notification.objects.filter(recipient=tree.users["ent"], title__startswith="新通知").exists()
    assert not Notification.objects.filter(recipient=tree.users["other_county"], title__startswith="新通知").exists()
    ent = token_client(tree.users["ent"])
    assert draft["id"] in listed(ent)
    assert ent.get(url).json()["deadlines_for_me"][0]["due_at"] == "2024-05-10T17:00:00+08:00"
    county = as_user(tree.users["county"])
    assert county.get(url).json()["deadlines_for_me"][0]["due_at"] == "2024-05-15T17:00:00+08:00"

    # Published: no more edits, no more deadline changes.
    refused = city.patch(url, {"title": "改标题"}, format="json")
    assert refused.status_code == 400
    assert refused.json()["detail"].startswith("通知已发布，不能再修改")
    assert city.post(f"{url}publish/").status_code == 400
    assert city.post(f"{url}deadlines/", {"stage": "applicant", "due_at": "2024-05-09T17:00:00"}).status_code == 400


def test_create_and_publish_refusals_in_chinese(tree, world):
    province = token_client(tree.users["province"])
    payload = {
        "issuer": tree.province.pk,
        "year": 2025,
        "title": "山西省2025年度省级绿色制造名单推荐通知",
        "doc_number": "晋工信节能字〔2025〕1号",
        "list_level": "province",
        "body": "各市工信局：……",
        "issued_on": "2025-04-01",
        "categories": [],
    }
    created = province.post("/api/v1/notices/", payload, format="json")
    assert created.status_code == 201, created.content
    notice = created.json()
    assert notice["status"] == "draft" and notice["issuer_name"] == tree.province.name
    assert notice["issued_on"] == "2025-04-01" and notice["categories"] == []
    assert notice["deadlines_for_me"] == []  # a province-level round of its own: nobody above sets a date
    url = f"/api/v1/notices/{notice['id']}/"

    province.post(f"{url}deadlines/", {"stage": "authority", "due_at": "2025-06-30T17:00:00"}, format="json")
    refused = province.post(f"{url}publish/")
    assert refused.status_code == 400
    assert refused.json() == {"detail": "通知不能发布：至少开放一个申报类别。"}
    assert Notice.objects.get(pk=notice["id"]).status == "draft"

    added = province.patch(url, {"categories": ["factory", "park", "park"]}, format="json")
    assert [c["code"] for c in added.json()["categories"]] == ["factory", "park"]
    assert province.post(f"{url}publish/").json()["status"] == "published"

    # Issuing in another authority's name; an unknown category; missing and invalid fields.
    foreign = province.post("/api/v1/notices/", {**payload, "issuer": tree.city.pk}, format="json")
    assert foreign.status_code == 400
    assert "您不能以编号为" in foreign.json()["issuer"][0] and "管理员或审核人" in foreign.json()["issuer"][0]
    bad = province.post(
        "/api/v1/notices/",
        {**payload, "categories": ["factory", "forest"], "list_level": "county", "title": ""},
        format="json",
    )
    assert bad.status_code == 400
    errors = bad.json()
    assert set(errors) == {"categories", "list_level", "title"}
    assert errors["categories"] == {"1": ["未知的申报类别：forest。"]}
    assert "不是合法选项" in errors["list_level"][0]
    assert errors["title"] == ["该字段不能为空。"]
    service_refused = province.post("/api/v1/notices/", {**payload, "year": 1999}, format="json")
    assert service_refused.status_code == 400
    assert service_refused.json() == {"year": ["请填写有效的年度（如 2024）。"]}

    # An operator may not issue; an applicant has no authority to issue for.
    operator = member(tree.province, role="operator", username="u-province-operator")
    for user in (operator, tree.users["ent"]):
        response = as_user(user).post("/api/v1/notices/", payload, format="json")
        assert response.status_code == 400
        assert "issuer" in response.json()
    assert Notice.objects.filter(title=payload["title"]).count() == 1


def test_visible_but_not_issuer_gets_403_with_the_reason(tree, world):
    county = as_user(tree.users["county"])
    url = f"/api/v1/notices/{world.city.pk}/"
    response = county.patch(url, {"title": "县局想改市局的通知"}, format="json")
    assert response.status_code == 403
    assert response.json() == {"detail": f"您无权以“{tree.city.name}”的名义办理通知。"}
    assert county.post(f"{url}deadlines/", {"stage": "applicant", "due_at": "2024-05-01T00:00:00"}).status_code == 403
    # A PATCH that would change nothing is still answered as the issuer's permission allows.
    assert county.patch(url, {}, format="json").status_code == 403
    same = county.patch(url, {"categories": ["factory", "park", "supply_chain"]}, format="json")
    assert same.status_code == 403
    world.city.refresh_from_db()
    assert world.city.title != "县局想改市局的通知"
    # Forwarding what its parent did not issue: refused, in Chinese.
    skip = county.post(f"/api/v1/notices/{world.province.pk}/forward/", {}, format="json")
    assert skip.status_code == 400
    assert skip.json() == {"authority": [f"请指定以哪个单位的名义转发“{world.province.title}”。"]}
    skip = county.post(f"/api/v1/notices/{world.province.pk}/forward/", {"authority": tree.county.pk}, format="json")
    assert skip.status_code == 400
    assert skip.json() == {"detail": f"“{tree.county.name}”不直接向“{tree.province.name}”报送，不能转发该通知。"}
    # In someone else's name.
    other = county.post(f"/api/v1/notices/{world.city.pk}/forward/", {"authority": tree.city.pk}, format="json")
    assert other.status_code == 400
    assert "您不能以编号为" in other.json()["authority"][0]


def test_anonymous_is_refused(tree, world, api):
    assert api.get("/api/v1/notices/").status_code in (401, 403)
    assert api.get(f"/api/v1/notices/{world.ministry.pk}/").status_code in (401, 403)
    assert api.post("/api/v1/notices/", {"title": "x"}).status_code in (401, 403)


# Queries


def add_province_notices(tree, start, stop):
    for year in range(start, stop):
        notice = services.notice_create(
            actor=tree.root,
            issuer=tree.province,
            year=year,
            title=f"山西省{year}年度绿色制造名单推荐通知",
            list_level="province",
            categories=["factory", "park"],
        )
        for category in notice.categories.all():
            services.material_save(actor=tree.root, notice_category=category, name="自评价报告", accepted_types="pdf")
        services.deadline_set(actor=tree.root, notice=notice, stage="applicant", due_at=sh(year, 5, 10, 17, 0, 0))
        services.deadline_set(
            actor=tree.root, notice=notice, stage="authority", due_at=sh(year, 5, 31, 17, 0, 0), authority=tree.city
        )
        services.notice_publish(actor=tree.root, notice=notice)


def count_queries(client, url) -> tuple[int, dict]:
    client.get(url)  # warm per-process caches
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.json()


@pytest.mark.parametrize("role", ["ent", "province", "ministry", "root"])
def test_list_queries_do_not_grow_from_1_to_20_rows(tree, django_user_model, role):
    tree.root = django_user_model.objects.create_superuser("root", "root@example.test", "x-unused-password-1")
    client = as_user(tree.root if role == "root" else tree.users[role])
    add_province_notices(tree, 2001, 2002)
    one, body = count_queries(client, "/api/v1/notices/")
    assert body["count"] == 1

    add_province_notices(tree, 2002, 2021)
    twenty, body = count_queries(client, "/api/v1/notices/")
    assert body["count"] == 20 and len(body["results"]) == 20
    row = body["results"][0]
    assert len(row["categories"]) == 2 and row["categories"][0]["materials"][0]["name"] == "自评价报告"
    assert {d["authority_name"] for d in row["deadlines"]} == {None, tree.city.name}

    assert one == twenty


# Schema


def test_openapi_schema_lists_the_notice_endpoints(client, tree):
    client.force_login(tree.users["county"])
    schema = client.get("/api/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    assert set(paths["/api/v1/notices/"]) == {"get", "post"}
    assert set(paths["/api/v1/notices/{id}/"]) == {"get", "patch"}
    for action in ("publish", "forward", "deadlines"):
        assert set(paths[f"/api/v1/notices/{{id}}/{action}/"]) == {"post"}
    list_params = {p["name"] for p in paths["/api/v1/notices/"]["get"]["parameters"]}
    assert {"page", "year", "status"} <= list_params
    detail_id = next(p for p in paths["/api/v1/notices/{id}/"]["get"]["parameters"] if p["name"] == "id")
    assert detail_id["schema"]["type"] == "integer"
    components = schema["components"]["schemas"]
    assert "deadlines_for_me" in components["NoticeDetail"]["properties"]
    assert {"count", "next", "previous", "results"} <= set(components["PaginatedNoticeList"]["properties"])


def test_openapi_generates_without_warnings_for_notices(tmp_path, capsys):
    reset_generator_stats()
    call_command("spectacular", file=str(tmp_path / "schema.yaml"), validate=True)
    err = capsys.readouterr().err
    assert "notices" not in err.lower()
    assert "Errors:   0" in err or "Errors" not in err
    assert "/api/v1/notices/{id}/deadlines/" in (tmp_path / "schema.yaml").read_text()
