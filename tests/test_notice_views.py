"""The notice pages: an issuer sets up a year's notice in the browser's forms, a city forwards it with an earlier
deadline; who sees what (not visible means 404); uploads judged by content; the list page's query count."""

import re
from datetime import date
from urllib.parse import quote

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from activity.models import AuditEvent
from notices import services
from notices.models import Deadline, Extension, Notice, NoticeAttachment, NoticeCategory, Quota, RequiredMaterial
from tests.notice_helpers import published_notice, sh

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def media(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }
    return tmp_path


def as_user(client, user):
    client.logout()
    client.force_login(user)
    return client


def text(response) -> str:
    return response.content.decode()


def draft(tree, *, title="2025年度绿色制造名单推荐工作的通知", categories=("factory", "park", "supply_chain")):
    return services.notice_create(
        actor=tree.users["province"],
        issuer=tree.province,
        year=2025,
        title=title,
        list_level="province",
        categories=categories,
    )


def test_province_sets_up_a_notice_and_a_city_forwards_it_with_an_earlier_deadline(client, tree):
    as_user(client, tree.users["province"])
    # The list offers 新建通知 to an issuer.
    assert "新建通知" in text(client.get("/notices/"))

    response = client.post(
        "/notices/new/",
        {
            "issuer": tree.province.pk,
            "year": 2025,
            "title": "关于组织开展2025年度绿色制造名单推荐工作的通知",
            "doc_number": "晋工信节能函〔2025〕12号",
            "list_level": "province",
            "issued_on": "2025-04-10",
            "body": "各市工信局：\n\n现将有关事项通知如下。",
            "categories": ["factory", "park"],
        },
    )
    notice = Notice.objects.get(title="关于组织开展2025年度绿色制造名单推荐工作的通知")
    assert response.status_code == 302 and response.url == f"/notices/{notice.pk}/"
    assert notice.issuer == tree.province and notice.status == "draft" and notice.issued_on == date(2025, 4, 10)
    assert notice.doc_number == "晋工信节能函〔2025〕12号" and notice.created_by == tree.users["province"]
    assert set(notice.categories.values_list("category", flat=True)) == {"factory", "park"}

    # Open 绿色供应链管理企业 with its own third-party cap.
    client.post(
        f"/notices/{notice.pk}/categories/supply_chain/",
        {
            "c-supply_chain-self_evaluation_allowed": "on",
            "c-supply_chain-third_party_allowed": "on",
            "c-supply_chain-assessor_cap": "10",
            "c-supply_chain-cap_basis": "legal_representative",
            "c-supply_chain-cap_period": "year",
        },
    )
    chain = NoticeCategory.objects.get(notice=notice, category="supply_chain")
    assert (chain.assessor_cap, chain.cap_basis, chain.cap_period) == (10, "legal_representative", "year")

    # A required material for 绿色工厂.
    response = client.post(
        f"/notices/{notice.pk}/categories/factory/materials/",
        {
            "m-factory-name": "绿色工厂自评价报告或第三方评价报告",
            "m-factory-required": "on",
            "m-factory-accepted_types": ["pdf", "docx"],
            "m-factory-max_size_mb": "30",
        },
    )
    assert response.status_code == 302
    material = RequiredMaterial.objects.get(notice_category__notice=notice)
    assert (material.name, material.required, material.types, material.max_size_mb) == (
        "绿色工厂自评价报告或第三方评价报告",
        True,
        ["pdf", "docx"],
        30,
    )

    # A quota for 太原 only; the other cities stay without a cap.
    page = text(client.get(f"/notices/{notice.pk}/categories/"))
    assert tree.city.name in page and tree.other_city.name in page
    client.post(f"/notices/{notice.pk}/quotas/", {f"q_factory_{tree.city.pk}": "5"})
    assert list(Quota.objects.filter(notice_category__notice=notice).values_list("authority__name", "limit")) == [
        (tree.city.name, 5)
    ]

    # Cities report by 5/31 (a date alone means the end of that day); applicants by 5/10 17:00.
    client.post(f"/notices/{notice.pk}/deadlines/", {"stage": "authority", "due_date": "2025-05-31"})
    client.post(
        f"/notices/{notice.pk}/deadlines/", {"stage": "applicant", "due_date": "2025-05-10", "due_time": "17:00"}
    )
    assert notice.deadlines.get(stage="authority").due_at == sh(2025, 5, 31, 23, 59, 59)
    assert notice.deadlines.get(stage="applicant").due_at == sh(2025, 5, 10, 17, 0, 0)

    response = client.post(f"/notices/{notice.pk}/publish/", follow=True)
    notice.refresh_from_db()
    assert notice.status == "published" and notice.published_at is not None
    page = text(response)
    assert "通知已发布" in page and "2025年5月31日 23:59:59" in page and "2025年5月10日 17:00:00" in page
    assert "绿色工厂自评价报告或第三方评价报告" in page and "按法定代表人" in page

    # 太原 forwards it: a draft of its own, categories and materials copied.
    as_user(client, tree.users["city"])
    page = text(client.get(f"/notices/{notice.pk}/"))
    assert "转发" in page and "本单位向上级报送截止" in page and "2025年5月31日 23:59:59" in page
    response = client.post(f"/notices/{notice.pk}/forward/", {"authority": tree.city.pk})
    copy = Notice.objects.get(issuer=tree.city, forwards=notice)
    assert response.status_code == 302 and response.url == f"/notices/{copy.pk}/"
    assert copy.status == "draft"
    assert set(copy.categories.values_list("category", flat=True)) == {"factory", "park", "supply_chain"}
    assert RequiredMaterial.objects.filter(notice_category__notice=copy).count() == 1

    # The province's date is the upper bound, shown as a hint.
    page = text(client.get(f"/notices/{copy.pk}/deadlines/"))
    assert "上级规定本单位向山西省工信厅（测试）报送的截止时间为" in page and "2025年5月31日 23:59:59" in page
    response = client.post(
        f"/notices/{copy.pk}/deadlines/", {"stage": "authority", "due_date": "2025-06-01", "due_time": "09:00"}
    )
    assert response.status_code == 200
    assert "截止时间不能晚于上级通知规定的本单位报送截止时间2025年5月31日 23:59:59" in text(response)
    assert not Deadline.objects.filter(notice=copy).exists()

    client.post(f"/notices/{copy.pk}/deadlines/", {"stage": "authority", "due_date": "2025-05-17"})
    assert copy.deadlines.get().due_at == sh(2025, 5, 17, 23, 59, 59)
    client.post(f"/notices/{copy.pk}/publish/")
    copy.refresh_from_db()
    assert copy.status == "published"

    # Once forwarded, 太原 is not offered the button again; the province's page links the forward.
    page = text(client.get(f"/notices/{notice.pk}/"))
    assert "/forward/" not in page and f'href="/notices/{copy.pk}/"' in page
    # The county under 太原 reports by the city's earlier date.
    as_user(client, tree.users["county"])
    page = text(client.get(f"/notices/{copy.pk}/"))
    assert "本单位向上级报送截止：<strong>2025年5月17日 23:59:59</strong>" in page
    assert f'href="/notices/{notice.pk}/"' in page  # the notice it forwards, visible to the county


def test_detail_shows_categories_quotas_deadlines_extensions_and_attachments(client, tree, media):
    notice = draft(tree, categories=("factory",))
    province = tree.users["province"]
    factory = notice.categories.get()
    services.material_save(actor=province, notice_category=factory, name="申报书", accepted_types="pdf,docx")
    services.quota_set(actor=province, notice_category=factory, authority=tree.other_city, limit=3)
    services.deadline_set(actor=province, notice=notice, stage="authority", due_at=sh(2025, 5, 31, 23, 59, 59))
    services.notice_publish(actor=province, notice=notice)
    services.extension_grant(
        actor=province,
        deadline=notice.deadlines.get(),
        organization=tree.other_city,
        new_due_at=sh(2025, 6, 3, 12, 0, 0),
        reason="防汛任务，材料顺延",
    )
    from django.core.files.uploadedfile import SimpleUploadedFile

    services.attachment_add(
        actor=province, notice=notice, upload=SimpleUploadedFile("汇总表.pdf", PDF, content_type="application/pdf")
    )
    as_user(client, tree.users["other_city"])
    page = text(client.get(f"/notices/{notice.pk}/"))
    for expected in (
        "允许自评价",
        "第三方机构评价项目上限 15 个（按法人（含关联单位），每批次）",
        "申报书",
        "pdf、docx",
        "大同市工信局（测试）",
        "全部下级主管部门",
        "2025年5月31日 23:59:59",
        "延期至 <strong>2025年6月3日 12:00:00</strong>",
        "防汛任务，材料顺延",
        "汇总表.pdf",
        "本单位向上级报送截止：<strong>2025年6月3日 12:00:00</strong>（含延期）",
    ):
        assert expected in page, expected
    # Not the issuer: no configuration buttons.
    for action in ("编辑", "配置类别/材料/名额", "批准延期", "上传附件", "/publish/", "/close/"):
        assert action not in page


def test_overdue_deadline_is_shown_in_red_to_the_enterprise(client, tree):
    published_notice(
        tree.users["province"], tree.province, year=2025, deadlines=[("applicant", sh(2020, 1, 1, 23, 59, 59))]
    )
    notice = Notice.objects.get(issuer=tree.province)
    as_user(client, tree.users["ent"])
    page = text(client.get(f"/notices/{notice.pk}/"))
    assert re.search(r'class="due overdue">本单位申报截止：<strong>2020年1月1日 23:59:59</strong>', page)
    assert "已逾期" in page
    # Enterprises do not issue: no 新建通知.
    assert "新建通知" not in text(client.get("/notices/"))
    assert client.get("/notices/new/").status_code == 404


@pytest.fixture
def scene(tree):
    """太原's published forward of the province's notice, and a province draft."""
    province_notice = published_notice(
        tree.users["province"], tree.province, year=2025, deadlines=[("authority", sh(2025, 5, 31, 23, 59, 59))]
    )
    city_notice = published_notice(
        tree.users["city"],
        tree.city,
        forwards=province_notice,
        deadlines=[("authority", sh(2025, 5, 17, 23, 59, 59))],
    )
    province_draft = draft(tree, title="省工信厅尚未发布的草稿通知")
    return province_notice, city_notice, province_draft


def notice_urls(notice, attachment_id=1):
    return [
        f"/notices/{notice.pk}/",
        f"/notices/{notice.pk}/edit/",
        f"/notices/{notice.pk}/categories/",
        f"/notices/{notice.pk}/deadlines/",
        f"/notices/{notice.pk}/extensions/new/",
        f"/notices/{notice.pk}/attachments/new/",
        f"/notices/{notice.pk}/attachments/{attachment_id}/",
    ]


def test_another_jurisdiction_gets_404_everywhere_and_no_list_row(client, tree, scene, media):
    _, city_notice, _ = scene
    from django.core.files.uploadedfile import SimpleUploadedFile

    attachment = services.attachment_add(
        actor=tree.users["city"],
        notice=city_notice,
        upload=SimpleUploadedFile("附件.pdf", PDF, content_type="application/pdf"),
    )
    as_user(client, tree.users["other_city"])
    for url in notice_urls(city_notice, attachment.pk):
        assert client.get(url).status_code == 404, url
    for url in ("publish/", "close/", "forward/", "quotas/", "categories/factory/"):
        assert client.post(f"/notices/{city_notice.pk}/{url}").status_code == 404, url
    assert city_notice.title not in text(client.get("/notices/"))
    # Its own chain's notice (the province's) is listed and readable.
    assert "山西省工信厅（测试）2025年度通知" in text(client.get("/notices/"))
    # The enterprise of the other city neither.
    as_user(client, tree.users["other_ent"])
    assert client.get(f"/notices/{city_notice.pk}/attachments/{attachment.pk}/").status_code == 404
    city_notice.refresh_from_db()
    assert city_notice.status == "published"


def test_drafts_are_invisible_to_subordinates_and_seen_by_the_issuer(client, tree, scene):
    _, _, province_draft = scene
    for who in ("city", "county", "ent", "other_city"):
        as_user(client, tree.users[who])
        assert client.get(f"/notices/{province_draft.pk}/").status_code == 404, who
        assert "省工信厅尚未发布的草稿通知" not in text(client.get("/notices/")), who
    as_user(client, tree.users["province"])
    page = text(client.get("/notices/?status=draft"))
    assert "省工信厅尚未发布的草稿通知" in page and "草稿" in page
    assert "编辑" in text(client.get(f"/notices/{province_draft.pk}/"))


def test_a_reader_who_is_not_the_issuer_gets_404_on_the_configuration_pages(client, tree, scene):
    province_notice, city_notice, _ = scene
    as_user(client, tree.users["county"])
    assert client.get(f"/notices/{city_notice.pk}/").status_code == 200
    for url in notice_urls(city_notice)[1:6]:
        assert client.get(url).status_code == 404, url
    assert client.post(f"/notices/{city_notice.pk}/close/").status_code == 404
    # The county does not report to the province: no forward button, and a forged POST stores nothing.
    assert "/forward/" not in text(client.get(f"/notices/{province_notice.pk}/"))
    response = client.post(f"/notices/{province_notice.pk}/forward/", {"authority": tree.county.pk}, follow=True)
    assert "不直接向发文机关报送" in text(response)
    assert not Notice.objects.filter(issuer=tree.county).exists()


def test_list_filters_and_search(client, tree, scene):
    province_notice, city_notice, _ = scene
    services.notice_create(
        actor=tree.users["province"],
        issuer=tree.province,
        year=2024,
        title="2024年度预通知",
        doc_number="晋工信〔2024〕88号",
        list_level="national",
    )
    as_user(client, tree.users["province"])

    def titles(query):
        return set(re.findall(r'<a href="/notices/\d+/">([^<]+)</a>', text(client.get(f"/notices/?{query}"))))

    assert titles("") == {province_notice.title, city_notice.title, "省工信厅尚未发布的草稿通知", "2024年度预通知"}
    assert titles("year=2024") == {"2024年度预通知"}
    assert titles("q=〔2024〕88") == {"2024年度预通知"}
    assert titles("q=草稿") == {"省工信厅尚未发布的草稿通知"}
    assert titles("status=published&issuer=太原") == {city_notice.title}
    assert titles("list_level=national") == {province_notice.title, city_notice.title, "2024年度预通知"}
    assert "没有符合条件的通知" in text(client.get("/notices/?q=不存在的标题"))


def test_empty_list_for_an_enterprise_says_so(client, tree):
    as_user(client, tree.users["ent"])
    page = text(client.get("/notices/"))
    assert "暂无可查看的通知" in page and "年度通知" in page


def test_list_page_query_count_does_not_grow(client, tree):
    province = tree.users["province"]

    def add(start, stop):
        for i in range(start, stop):
            services.notice_create(
                actor=province, issuer=tree.province, year=2025, title=f"计数通知{i:02d}", list_level="province"
            )

    def measure():
        client.get("/notices/")
        with CaptureQueriesContext(connection) as ctx:
            response = client.get("/notices/")
        assert response.status_code == 200
        return len(ctx.captured_queries), len(re.findall(r'<a href="/notices/\d+/">计数通知', text(response)))

    as_user(client, province)
    add(0, 1)
    one, rows = measure()
    assert rows == 1
    add(1, 25)
    twenty, rows = measure()
    assert rows == 20
    assert one == twenty
    assert "共 25 条，第 1 / 2 页" in text(client.get("/notices/"))


def test_categories_page_refuses_in_chinese_and_stores_nothing(client, tree):
    notice = draft(tree, categories=("factory",))
    as_user(client, tree.users["province"])
    response = client.post(
        f"/notices/{notice.pk}/categories/factory/",
        {"c-factory-assessor_cap": "15", "c-factory-cap_basis": "legal_entity", "c-factory-cap_period": "batch"},
    )
    assert response.status_code == 200 and "自评价和第三方评价至少要允许一种" in text(response)
    assert NoticeCategory.objects.get(notice=notice).self_evaluation_allowed is True

    response = client.post(
        f"/notices/{notice.pk}/categories/factory/materials/",
        {"m-factory-name": "承诺书", "m-factory-max_size_mb": "10"},
    )
    assert response.status_code == 200 and "请至少选择一种文件类型" in text(response)
    assert not RequiredMaterial.objects.filter(notice_category__notice=notice).exists()

    response = client.post(f"/notices/{notice.pk}/quotas/", {f"q_factory_{tree.city.pk}": "-1"})
    assert response.status_code == 200 and "errorlist" in text(response)
    assert not Quota.objects.exists()


def test_material_edit_and_remove_and_category_close(client, tree):
    notice = draft(tree, categories=("factory", "park"))
    factory = notice.categories.get(category="factory")
    material = services.material_save(
        actor=tree.users["province"], notice_category=factory, name="申报书", accepted_types="pdf"
    )
    as_user(client, tree.users["province"])
    page = text(client.get(f"/notices/{notice.pk}/categories/?material={material.pk}"))
    assert f'action="/notices/{notice.pk}/materials/{material.pk}/"' in page and "修改材料要求“申报书”" in page
    client.post(
        f"/notices/{notice.pk}/materials/{material.pk}/",
        {
            "m-factory-name": "绿色工厂申报书",
            "m-factory-accepted_types": ["pdf", "xlsx"],
            "m-factory-max_size_mb": "40",
            "m-factory-position": "2",
        },
    )
    material.refresh_from_db()
    assert (material.name, material.types, material.max_size_mb, material.required, material.position) == (
        "绿色工厂申报书",
        ["pdf", "xlsx"],
        40,
        False,
        2,
    )
    client.post(f"/notices/{notice.pk}/materials/{material.pk}/remove/")
    assert not RequiredMaterial.objects.filter(pk=material.pk).exists()
    client.post(f"/notices/{notice.pk}/categories/park/remove/")
    assert list(notice.categories.values_list("category", flat=True)) == ["factory"]


def test_forwarded_notice_cannot_open_a_category_the_parent_did_not(client, tree):
    parent = published_notice(
        tree.users["province"],
        tree.province,
        year=2025,
        categories=("factory",),
        deadlines=[("authority", sh(2025, 5, 31, 23, 59, 59))],
    )
    copy = services.notice_forward(actor=tree.users["city"], notice=parent, authority=tree.city)
    as_user(client, tree.users["city"])
    page = text(client.get(f"/notices/{copy.pk}/categories/"))
    assert "上级通知未开放该类别" in page
    response = client.post(
        f"/notices/{copy.pk}/categories/park/",
        {
            "c-park-self_evaluation_allowed": "on",
            "c-park-assessor_cap": "15",
            "c-park-cap_basis": "legal_entity",
            "c-park-cap_period": "batch",
        },
    )
    assert "上级通知未开放“绿色工业园区”" in text(response)
    assert list(copy.categories.values_list("category", flat=True)) == ["factory"]


def test_edit_a_draft_but_not_a_published_notice(client, tree, scene):
    province_notice, _, province_draft = scene
    as_user(client, tree.users["province"])
    page = text(client.get(f"/notices/{province_draft.pk}/edit/"))
    assert 'value="省工信厅尚未发布的草稿通知"' in page
    client.post(
        f"/notices/{province_draft.pk}/edit/",
        {"year": 2025, "title": "改过的标题", "list_level": "province", "doc_number": " 晋〔2025〕1号 "},
    )
    province_draft.refresh_from_db()
    assert (province_draft.title, province_draft.doc_number) == ("改过的标题", "晋〔2025〕1号")
    response = client.post(f"/notices/{province_draft.pk}/edit/", {"year": 2025, "title": " ", "list_level": "city"})
    assert "请填写通知标题" in text(response)
    province_draft.refresh_from_db()
    assert province_draft.title == "改过的标题"

    response = client.get(f"/notices/{province_notice.pk}/edit/", follow=True)
    assert "通知已发布，不能再修改" in text(response)
    response = client.post(f"/notices/{province_notice.pk}/edit/", {"year": 2025, "title": "x", "list_level": "city"})
    province_notice.refresh_from_db()
    assert province_notice.title == "山西省工信厅（测试）2025年度通知"


def test_publish_without_deadlines_is_refused_in_chinese(client, tree):
    notice = draft(tree)
    as_user(client, tree.users["province"])
    response = client.post(f"/notices/{notice.pk}/publish/", follow=True)
    assert "通知不能发布：至少设置一个截止时间。" in text(response)
    notice.refresh_from_db()
    assert notice.status == "draft"


def test_deadline_change_and_remove(client, tree):
    notice = draft(tree)
    as_user(client, tree.users["province"])
    client.post(f"/notices/{notice.pk}/deadlines/", {"stage": "authority", "due_date": "2025-05-31"})
    deadline = notice.deadlines.get()
    page = text(client.get(f"/notices/{notice.pk}/deadlines/?edit={deadline.pk}"))
    assert 'value="2025-05-31"' in page and 'value="23:59:59"' in page
    # Same stage and scope: the deadline is changed, not doubled.
    client.post(
        f"/notices/{notice.pk}/deadlines/",
        {"stage": "authority", "due_date": "2025-05-30", "due_time": "18:00:00", "note": "以公文送达时间为准"},
    )
    deadline = notice.deadlines.get()
    assert deadline.due_at == sh(2025, 5, 30, 18, 0, 0) and deadline.note == "以公文送达时间为准"
    # One city gets its own date.
    client.post(
        f"/notices/{notice.pk}/deadlines/",
        {"stage": "authority", "authority": tree.other_city.pk, "due_date": "2025-05-20"},
    )
    assert notice.deadlines.get(authority=tree.other_city).due_at == sh(2025, 5, 20, 23, 59, 59)
    # A county is not a receiving authority of the province at the authority stage.
    response = client.post(
        f"/notices/{notice.pk}/deadlines/",
        {"stage": "authority", "authority": tree.county.pk, "due_date": "2025-05-20"},
    )
    assert "不向“山西省工信厅（测试）”报送" in text(response)
    assert notice.deadlines.count() == 2
    client.post(f"/notices/{notice.pk}/deadlines/{deadline.pk}/remove/")
    assert list(notice.deadlines.values_list("authority", flat=True)) == [tree.other_city.pk]


def test_extension_granted_on_the_page_reaches_the_county(client, tree, scene):
    _, city_notice, _ = scene
    deadline = city_notice.deadlines.get()
    as_user(client, tree.users["city"])
    page = text(client.get(f"/notices/{city_notice.pk}/extensions/new/?deadline={deadline.pk}"))
    assert tree.county.name in page and tree.ent.name in page
    response = client.post(
        f"/notices/{city_notice.pk}/extensions/new/",
        {"deadline": deadline.pk, "organization": tree.county.pk, "new_date": "2025-06-01", "reason": "系统故障"},
    )
    assert "延期不能晚于本单位向上级报送的截止时间2025年5月31日 23:59:59" in text(response)
    assert not Extension.objects.exists()
    client.post(
        f"/notices/{city_notice.pk}/extensions/new/",
        {
            "deadline": deadline.pk,
            "organization": tree.county.pk,
            "new_date": "2025-05-20",
            "new_time": "18:00",
            "reason": "系统故障，材料未能按时上传",
        },
    )
    extension = Extension.objects.get()
    assert extension.new_due_at == sh(2025, 5, 20, 18, 0, 0) and extension.granted_by == tree.users["city"]
    as_user(client, tree.users["county"])
    page = text(client.get(f"/notices/{city_notice.pk}/"))
    assert "本单位向上级报送截止：<strong>2025年5月20日 18:00:00</strong>（含延期）" in page
    assert "系统故障，材料未能按时上传" in page and "太原市工信局经办人" not in page  # tree users have test names
    assert tree.users["city"].first_name in page


def test_extension_service_refuses_drafts_and_closed_notices(tree, scene):
    province_notice, _, province_draft = scene
    actor = tree.users["province"]
    d = services.deadline_set(actor=actor, notice=province_draft, stage="authority", due_at=sh(2025, 5, 1, 0, 0, 0))
    with pytest.raises(ValidationError, match="请直接修改截止时间"):
        services.extension_grant(
            actor=actor, deadline=d, organization=tree.city, new_due_at=sh(2025, 5, 2, 0, 0, 0), reason="理由"
        )
    services.notice_close(actor=actor, notice=province_notice)
    with pytest.raises(ValidationError, match="通知已结束"):
        services.extension_grant(
            actor=actor,
            deadline=province_notice.deadlines.get(),
            organization=tree.city,
            new_due_at=sh(2025, 6, 2, 0, 0, 0),
            reason="理由",
        )
    assert not Extension.objects.exists()


def test_close_a_published_notice(client, tree, scene):
    province_notice, _, _ = scene
    as_user(client, tree.users["province"])
    assert "结束" in text(client.get(f"/notices/{province_notice.pk}/"))
    response = client.post(f"/notices/{province_notice.pk}/close/", follow=True)
    province_notice.refresh_from_db()
    assert province_notice.status == "closed" and "通知已结束" in text(response)
    assert AuditEvent.objects.filter(verb="notice.close").exists()


def test_bad_upload_is_refused_and_a_real_pdf_is_stored_under_a_random_name(client, tree, scene, media):
    _, city_notice, _ = scene
    from django.core.files.uploadedfile import SimpleUploadedFile

    as_user(client, tree.users["city"])
    fake = SimpleUploadedFile("推荐汇总表.pdf", "这不是PDF文件".encode(), content_type="application/pdf")
    response = client.post(f"/notices/{city_notice.pk}/attachments/new/", {"file": fake})
    assert response.status_code == 200
    assert "文件“推荐汇总表.pdf”无法识别或已损坏。请上传PDF" in text(response)
    assert not NoticeAttachment.objects.exists()
    assert [p for p in media.rglob("*") if p.is_file()] == []

    real = SimpleUploadedFile("推荐汇总表.pdf", PDF, content_type="application/pdf")
    response = client.post(f"/notices/{city_notice.pk}/attachments/new/", {"file": real})
    attachment = NoticeAttachment.objects.get()
    assert response.status_code == 302 and response.url == f"/notices/{city_notice.pk}/"
    stored = [p for p in media.rglob("*") if p.is_file()]
    assert len(stored) == 1 and re.fullmatch(r"[0-9a-f]{32}\.pdf", stored[0].name)
    assert stored[0].read_bytes() == PDF
    assert attachment.name == "推荐汇总表.pdf" and attachment.content_type == "application/pdf"

    # Anyone who may see the notice downloads it with its original name.
    as_user(client, tree.users["ent"])
    assert "推荐汇总表.pdf" in text(client.get(f"/notices/{city_notice.pk}/"))
    response = client.get(f"/notices/{city_notice.pk}/attachments/{attachment.pk}/")
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;") and quote("推荐汇总表.pdf") in disposition
    # An attachment id of another notice is not reachable through this one.
    assert client.get(f"/notices/{city_notice.pk - 1}/attachments/{attachment.pk}/").status_code == 404


def test_nav_links_to_notices(client, tree):
    as_user(client, tree.users["ent"])
    assert '<a href="/notices/">年度通知</a>' in text(client.get("/dashboard/"))


def test_published_notice_keeps_its_categories_but_quotas_can_still_change(client, tree, scene):
    province_notice, _, _ = scene
    as_user(client, tree.users["province"])
    page = text(client.get(f"/notices/{province_notice.pk}/categories/"))
    assert "申报类别和材料要求不能再修改；推荐名额仍可调整" in page and "开放该类别" not in page
    response = client.post(
        f"/notices/{province_notice.pk}/categories/product/",
        {
            "c-product-self_evaluation_allowed": "on",
            "c-product-assessor_cap": "15",
            "c-product-cap_basis": "legal_entity",
            "c-product-cap_period": "batch",
        },
    )
    assert "通知已发布，不能再修改" in text(response)
    assert not province_notice.categories.filter(category="product").exists()
    client.post(f"/notices/{province_notice.pk}/quotas/", {f"q_factory_{tree.other_city.pk}": "4"})
    assert Quota.objects.get(notice_category__notice=province_notice).limit == 4
    # Emptying the field removes the quota (no cap).
    client.post(f"/notices/{province_notice.pk}/quotas/", {f"q_factory_{tree.other_city.pk}": ""})
    assert not Quota.objects.exists()


def test_superuser_issues_in_any_authoritys_name_and_chooses_who_forwards(client, tree, scene, django_user_model):
    province_notice, _, _ = scene
    root = django_user_model.objects.create_superuser("root", "root@example.test", "x-unused-password-1")
    as_user(client, root)
    page = text(client.get("/notices/new/"))
    assert tree.province.name in page and tree.county.name in page
    client.post(
        "/notices/new/",
        {"issuer": tree.ministry.pk, "year": 2025, "title": "部里的通知", "list_level": "national"},
    )
    assert Notice.objects.get(title="部里的通知").issuer == tree.ministry
    # 太原 has forwarded already: only 大同 is offered.
    page = text(client.get(f"/notices/{province_notice.pk}/"))
    assert f'<input type="hidden" name="authority" value="{tree.other_city.pk}">' in page
    assert f"转发（{tree.other_city.name}）" in page
    client.post(f"/notices/{province_notice.pk}/forward/", {"authority": tree.city.pk})
    assert Notice.objects.filter(forwards=province_notice).count() == 1
