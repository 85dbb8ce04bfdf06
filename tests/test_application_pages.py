"""The applicant's pages: start, edit, declare, sign, upload, submit, withdraw; who may see what; list queries."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from applications.models import Application, Declaration, MaterialFile, NegativeItem, State
from reviews.models import Referral
from reviews.services import transition_perform
from tests.application_helpers import FACTORY_DATA, PDF_BYTES, open_chain, pdf, ready_application
from tests.factories import enterprise, member


@pytest.fixture
def media(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }
    return tmp_path


@pytest.fixture
def notice(tree, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.test", "x-unused-password-1")
    return open_chain(tree, root)


def as_user(client, user):
    client.logout()
    client.force_login(user)
    return client


def text(response) -> str:
    return response.content.decode()


def messages_of(response) -> str:
    return " ".join(str(m) for m in response.context["messages"]) if response.context else ""


def form_data(data: dict, **extra) -> dict:
    """Category data as a browser posts it: every value a string, None as empty."""
    posted = {k: "" if v is None else str(v) for k, v in data.items()}
    return {"evaluation_mode": "self", "self_evaluation_org": "", "self_evaluation_person": "", **posted, **extra}


def material_id(notice, category="factory") -> int:
    return notice.categories.get(category=category).materials.get().pk


def all_absent() -> dict:
    return {"step": "declarations", **{f"occurred_{code}": "False" for code in NegativeItem.values}}


def test_an_enterprise_applies_through_the_pages_and_the_county_receives_it(client, tree, notice, media):
    user = tree.users["ent"]
    as_user(client, user)

    # The notice page links to the start page; the start page offers the notice's categories for an enterprise.
    assert f'href="/applications/new/?notice={notice.pk}"' in text(client.get(f"/notices/{notice.pk}/"))
    start = text(client.get("/applications/new/"))
    assert notice.title in start and "申报绿色工厂" in start and "申报绿色供应链管理企业" in start
    assert "申报绿色工业园区" not in start  # parks only
    url = f"/applications/new/?notice={notice.pk}&category=factory"
    page = text(client.get(url))
    assert "评价方式" in page and "自评价" in page and "第三方评价" in page

    response = client.post(url, {"evaluation_mode": "self"})
    app = Application.objects.get(applicant=tree.ent)
    assert response.status_code == 302 and response["Location"] == f"/applications/{app.pk}/edit/"
    assert app.state == State.DRAFT and app.category == "factory" and app.notice == notice and app.data == {}

    # Edit: HTML5 attributes for the browser's own check, a draft button that skips it.
    page = text(client.get(f"/applications/{app.pk}/edit/"))
    assert re.search(r'<input[^>]*name="industry_code"[^>]*required', page)
    assert re.search(r'<input[^>]*name="self_score"[^>]*max="100"', page)
    assert re.search(r'<input[^>]*name="self_score"[^>]*min="0"', page)
    assert not re.search(r'<input[^>]*name="water_saving_enterprise"[^>]*required', page)  # optional field
    assert 'name="draft"' in page and "formnovalidate" in page and 'name="check"' in page

    # A bad industry code: the Chinese error on the field, nothing saved.
    response = client.post(f"/applications/{app.pk}/edit/", form_data(FACTORY_DATA, industry_code="abc", draft="1"))
    assert response.status_code == 200
    assert "行业代码应为 GB/T 4754 国民经济行业分类代码" in text(response)
    app.refresh_from_db()
    assert app.data == {}

    # A draft may be incomplete; “保存并检查” saves it and marks what submitting needs.
    response = client.post(
        f"/applications/{app.pk}/edit/", form_data({"industry_code": "C3311", "industry_name": ""}, check="1")
    )
    assert response.status_code == 200 and "提交前须填写此项" in text(response)
    assert "已保存草稿" in messages_of(response)
    app.refresh_from_db()
    assert app.data["industry_code"] == "C3311" and app.data["industry_name"] is None

    response = client.post(f"/applications/{app.pk}/edit/", form_data(FACTORY_DATA, check="1"))
    assert response.status_code == 302 and response["Location"] == f"/applications/{app.pk}/"
    app.refresh_from_db()
    assert app.data["industry_name"] == "金属结构制造" and app.data["self_score"] == 86.5
    assert app.data["chain_leader"] is True and app.data["key_water_user"] is False
    detail = text(client.get(f"/applications/{app.pk}/"))
    assert "金属结构制造" in detail and "达到能耗限额先进值或1级" in detail and "还缺什么" in detail
    assert "负面清单声明还有9项未作答" in detail and "缺少必须提交的材料：自评价报告" in detail

    # Declarations: 有 without 说明 is refused per item, nothing stored; then all answered.
    url = f"/applications/{app.pk}/declarations/"
    page = text(client.get(url))
    assert page.count('type="radio"') == 2 * len(NegativeItem.values) and "被列为失信被执行人" in page
    response = client.post(url, {**all_absent(), "occurred_NEG-SAFETY": "True"})
    assert response.status_code == 200 and "存在该情形的，请说明具体情况" in text(response)
    assert not Declaration.objects.filter(application=app).exists()
    response = client.post(url, {k: v for k, v in all_absent().items() if k != "occurred_NEG-TAX"})
    assert "请选择“有”或“无”" in text(response) and not Declaration.objects.exists()
    response = client.post(url, all_absent())
    assert response.status_code == 302 and Declaration.objects.filter(application=app, occurred=False).count() == 9

    # Commitment: the box must be ticked.
    response = client.post(url, {"step": "commitment", "signer": "王建国"})
    assert "请勾选“本单位承诺以上声明真实”" in text(response)
    app.refresh_from_db()
    assert app.commitment_signed_at is None
    response = client.post(url, {"step": "commitment", "signer": "王建国", "agree": "on"})
    assert response.status_code == 302
    app.refresh_from_db()
    assert app.commitment_signer == "王建国" and app.commitment_signed_at is not None

    # Upload: a text file named .pdf is refused in Chinese and nothing is stored.
    kind = material_id(notice)
    upload_url = f"/applications/{app.pk}/materials/{kind}/upload/"
    response = client.post(upload_url, {"file": pdf("自评价报告.pdf", b"this is only text, renamed to .pdf")})
    assert response.status_code == 200 and "无法识别或已损坏" in text(response)
    assert not MaterialFile.objects.exists() and not any(media.rglob("*.*"))

    response = client.post(upload_url, {"file": pdf("自评价报告.pdf")})
    assert response.status_code == 302 and "第1版" in messages_of(client.get(f"/applications/{app.pk}/"))
    response = client.post(upload_url, {"file": pdf("自评价报告（修订）.pdf", PDF_BYTES + b"%revised\n")})
    assert response.status_code == 302
    first, second = MaterialFile.objects.filter(application=app).order_by("version")
    assert (first.version, first.is_current, second.version, second.is_current) == (1, False, 2, True)
    for record, body in ((first, PDF_BYTES), (second, PDF_BYTES + b"%revised\n")):
        response = client.get(f"/applications/{app.pk}/files/{record.pk}/")
        assert response.status_code == 200 and b"".join(response.streaming_content) == body
        assert "attachment" in response["Content-Disposition"] and response["Content-Type"] == "application/pdf"
        assert "filename*=utf-8''" in response["Content-Disposition"]  # the original Chinese name
    detail = text(client.get(f"/applications/{app.pk}/"))
    assert (
        f"/applications/{app.pk}/files/{first.pk}/" in detail and f"/applications/{app.pk}/files/{second.pk}/" in detail
    )
    assert "可以提交" in detail

    # Submit from the detail page, with the version the page showed.
    assert f'name="expected_version" value="{app.version}"' in detail
    response = client.post(
        f"/applications/{app.pk}/transition/", {"action": "submit", "expected_version": app.version}, follow=True
    )
    app.refresh_from_db()
    assert app.state == State.UNDER_REVIEW and app.holder == tree.county
    page = text(response)
    assert "审核中" in page and "当前办理单位" in page and tree.county.name in page
    assert "已提交，现由" in page and "提交" in page and "草稿 → 审核中" in page

    # The county finds it in its list.
    as_user(client, tree.users["county"])
    listing = text(client.get("/applications/"))
    assert f'href="/applications/{app.pk}/"' in listing and tree.ent.name in listing


def test_withdraw_return_and_a_stale_page(client, tree, notice, media):
    user = tree.users["ent"]
    app = ready_application(user, tree.ent, notice)
    as_user(client, user)
    detail = text(client.get(f"/applications/{app.pk}/"))
    seen = int(re.search(r'name="expected_version" value="(\d+)"', detail).group(1))
    client.post(f"/applications/{app.pk}/transition/", {"action": "submit", "expected_version": seen})
    app.refresh_from_db()
    assert app.state == State.UNDER_REVIEW

    # Withdraw from the page; the withdrawn application can be reopened.
    detail = text(client.get(f"/applications/{app.pk}/"))
    assert '<button type="submit" class="btn danger">撤回</button>' in detail
    response = client.post(
        f"/applications/{app.pk}/transition/", {"action": "withdraw", "expected_version": app.version}, follow=True
    )
    app.refresh_from_db()
    assert app.state == State.WITHDRAWN and app.holder == tree.ent and "已撤回" in text(response)
    assert Referral.objects.get(application=app).decision == "withdrawn"
    client.post(f"/applications/{app.pk}/transition/", {"action": "reopen", "expected_version": app.version})
    client.post(f"/applications/{app.pk}/transition/", {"action": "submit", "expected_version": app.version + 1})
    app.refresh_from_db()
    assert app.state == State.UNDER_REVIEW

    # The applicant's page is now stale: the county returns it meanwhile.
    stale = text(client.get(f"/applications/{app.pk}/"))
    stale_version = int(re.search(r'name="expected_version" value="(\d+)"', stale).group(1))
    county = as_user(client, tree.users["county"])
    page = text(county.get(f"/applications/{app.pk}/"))
    assert "退回修改理由" in page and "不予推荐" in page
    response = county.post(
        f"/applications/{app.pk}/transition/", {"action": "return", "expected_version": app.version}, follow=True
    )
    assert "退回修改须填写理由" in text(response)
    app.refresh_from_db()
    assert app.state == State.UNDER_REVIEW  # no reason, nothing changed
    county.post(
        f"/applications/{app.pk}/transition/",
        {"action": "return", "expected_version": app.version, "reason": "请补充能效证明"},
    )
    app.refresh_from_db()
    assert app.state == State.RETURNED

    as_user(client, user)
    response = client.post(
        f"/applications/{app.pk}/transition/", {"action": "withdraw", "expected_version": stale_version}, follow=True
    )
    assert "该申报已被他人处理，当前状态为“退回修改”" in text(response)
    app.refresh_from_db()
    assert app.state == State.RETURNED and app.version == stale_version + 1
    page = text(response)
    assert "请补充能效证明" in page and tree.county.name in page and "退回修改" in page
    assert "重新提交" in page  # the applicant may fix it and resubmit


def test_a_refused_transition_names_its_reasons(client, tree, notice, media):
    user = tree.users["ent"]
    as_user(client, user)
    client.post(f"/applications/new/?notice={notice.pk}&category=factory", {"evaluation_mode": "self"})
    app = Application.objects.get()
    detail = text(client.get(f"/applications/{app.pk}/"))
    assert re.search(r'<button type="submit" class="btn"[^>]*disabled[^>]*>提交</button>', detail)
    assert "暂不能提交" in detail
    response = client.post(
        f"/applications/{app.pk}/transition/", {"action": "submit", "expected_version": app.version}, follow=True
    )
    assert "未能提交" in text(response) and "尚未签署承诺书" in text(response)
    app.refresh_from_db()
    assert app.state == State.DRAFT and not Referral.objects.exists()


def test_engagement_request_and_cancel(client, tree, notice):
    assessor = enterprise("测试绿色评价有限公司", tree.province, kind="assessor")
    assessor_user = member(assessor)
    user = tree.users["ent"]
    app = ready_application(user, tree.ent, notice)
    as_user(client, user)
    page = text(client.get(f"/applications/{app.pk}/engagement/"))
    assert "无需委托第三方评价机构" in page
    client.post(f"/applications/{app.pk}/edit/", form_data(FACTORY_DATA, evaluation_mode="third_party", draft="1"))
    app.refresh_from_db()
    assert app.evaluation_mode == "third_party"
    page = text(client.get(f"/applications/{app.pk}/engagement/"))
    assert assessor.name in page and assessor.credit_code in page
    response = client.post(f"/applications/{app.pk}/engagement/", {"do": "request", "assessor": assessor.pk})
    assert response.status_code == 302
    engagement = app.engagements.get()
    assert engagement.status == "pending"
    assert client.get(f"/applications/{app.pk}/").status_code == 200
    as_user(client, assessor_user)
    assert tree.ent.name in text(client.get(f"/applications/{app.pk}/"))  # the commissioned assessor sees it
    as_user(client, user)
    detail = text(client.get(f"/applications/{app.pk}/"))
    assert "待接受" in detail and "尚未接受委托" in detail
    client.post(f"/applications/{app.pk}/engagement/", {"do": "cancel", "engagement": engagement.pk})
    engagement.refresh_from_db()
    assert engagement.status == "cancelled"
    as_user(client, assessor_user)
    assert client.get(f"/applications/{app.pk}/").status_code == 404


def outsider_urls(app, kind, file_id):
    return [
        f"/applications/{app.pk}/",
        f"/applications/{app.pk}/edit/",
        f"/applications/{app.pk}/declarations/",
        f"/applications/{app.pk}/engagement/",
        f"/applications/{app.pk}/materials/{kind}/upload/",
        f"/applications/{app.pk}/files/{file_id}/",
    ]


def test_outsiders_get_404_on_every_application_url(client, tree, notice, media):
    user = tree.users["ent"]
    app = transition_perform(actor=user, application=ready_application(user, tree.ent, notice), action="submit")
    record = MaterialFile.objects.get(application=app)
    kind = material_id(notice)
    unrelated_assessor = member(enterprise("无关评价机构有限公司", tree.province, kind="assessor"))
    urls = outsider_urls(app, kind, record.pk)
    for outsider in (tree.users["other_ent"], tree.users["city"], unrelated_assessor):
        as_user(client, outsider)
        for url in urls:
            assert client.get(url).status_code == 404, (outsider, url)
        assert client.post(urls[4], {"file": pdf()}).status_code == 404
        assert client.post(urls[1], form_data(FACTORY_DATA, draft="1")).status_code == 404
        response = client.post(f"/applications/{app.pk}/transition/", {"action": "withdraw"})
        assert response.status_code == 404
        assert f"/applications/{app.pk}/" not in text(client.get("/applications/"))
    app.refresh_from_db()
    assert app.state == State.UNDER_REVIEW and MaterialFile.objects.filter(application=app).count() == 1

    # The county holds it: it reads the application and its files, but the applicant's pages are not its own.
    as_user(client, tree.users["county"])
    assert client.get(urls[0]).status_code == 200 and client.get(urls[5]).status_code == 200
    for url in urls[1:5]:
        assert client.get(url).status_code == 404, url

    # The applicant itself is told why it cannot edit now.
    as_user(client, user)
    response = client.get(urls[1], follow=True)
    assert "不能修改" in messages_of(response)


def measure(client, url) -> tuple[int, str]:
    client.get(url)  # warm per-process caches
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content.decode()


ROW = re.compile(r'<td><a href="/applications/\d+/">')


def submitted(tree, notice, start, stop):
    for i in range(start, stop):
        applicant = enterprise(f"计数申报企业{i:02d}有限公司", tree.county)
        user = member(applicant)
        app = ready_application(user, applicant, notice)
        transition_perform(actor=user, application=app, action="submit")


def test_list_queries_do_not_grow(client, tree, notice, media):
    as_user(client, tree.users["county"])
    submitted(tree, notice, 0, 1)
    one, page = measure(client, "/applications/")
    assert len(ROW.findall(page)) == 1
    submitted(tree, notice, 1, 20)
    twenty, page = measure(client, "/applications/")
    assert len(ROW.findall(page)) == 20
    assert twenty == one, f"{one} queries for 1 row, {twenty} for 20"


def test_list_filters_search_and_empty_state(client, tree, notice, media):
    user = tree.users["ent"]
    as_user(client, user)
    assert "本单位还没有申报" in text(client.get("/applications/"))
    app = ready_application(user, tree.ent, notice)
    transition_perform(actor=user, application=app, action="submit")
    from applications import services

    services.application_create(actor=user, applicant=tree.ent, notice=notice, category="supply_chain")
    page = text(client.get("/applications/"))
    assert len(ROW.findall(page)) == 2 and "我的申报" in page
    assert len(ROW.findall(text(client.get("/applications/?state=under_review")))) == 1
    assert len(ROW.findall(text(client.get("/applications/?category=supply_chain")))) == 1
    assert len(ROW.findall(text(client.get(f"/applications/?year={notice.year}")))) == 2
    assert len(ROW.findall(text(client.get(f"/applications/?q={tree.ent.credit_code}")))) == 2
    assert len(ROW.findall(text(client.get("/applications/?q=小店测试")))) == 2
    page = text(client.get("/applications/?q=不存在的企业"))
    assert not ROW.findall(page) and "没有符合条件的申报" in page
    page = text(client.get(f"/applications/?year={notice.year - 5}"))  # not a year on offer: ignored, not an error
    assert len(ROW.findall(page)) == 2
