"""REST API for applications with token auth: the enterprise's, the park's and the assessor's flows, refusals in
Chinese with nothing saved, versioned materials on disk, the workflow's transitions (409 on a stale version),
404 for whoever should not see an application or its files, and a fixed number of queries for the lists."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from applications import services
from applications.models import Application, Declaration, Engagement, MaterialFile, NegativeItem
from reviews.models import Referral
from reviews.services import transition_perform
from tests.application_helpers import FACTORY_DATA, PARK_DATA, PDF_BYTES, open_chain, ready_application
from tests.factories import PASSWORD, enterprise, member

NOT_FOUND = {"detail": "未找到该申报，或您无权查看。"}
NO_DECLARATIONS = {code: {"occurred": False, "note": ""} for code in NegativeItem.values}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Uploaded files go to a fresh directory, so a test can see exactly what reached the disk."""
    root = tmp_path / "media"
    root.mkdir()
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(root)}},
    }
    return root


@pytest.fixture
def root(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.test", "x-unused-password-1")


@pytest.fixture
def notice(tree, root):
    """太原's forwarded notice, open five more days for applicants, asking each category for its self-evaluation."""
    return open_chain(tree, root, materials=(("factory", "自评价报告"), ("park", "园区自评价报告")))


def token_client(user) -> APIClient:
    client = APIClient()
    response = client.post("/api/v1/auth/token/", {"username": user.username, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    return client


def material_id(notice, category="factory") -> str:
    return str(notice.categories.get(category=category).materials.get().pk)


def upload(client, app_id, kind, name="自评价报告.pdf", content=PDF_BYTES):
    return client.post(
        f"/api/v1/applications/{app_id}/materials/", {"kind": kind, "file": SimpleUploadedFile(name, content)}
    )


def stored_files(media) -> list:
    return sorted(p for p in media.rglob("*") if p.is_file())


def download(client, url) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, getattr(response, "content", b"")
    return b"".join(response.streaming_content)


# The enterprise


def test_enterprise_fills_in_uploads_and_submits_through_the_api(tree, notice, media):
    ent = token_client(tree.users["ent"])
    created = ent.post(
        "/api/v1/applications/",
        {
            "notice": notice.pk,
            "category": "factory",
            "evaluation_mode": "self",
            "data": {"industry_code": "C3311", "industry_name": "金属结构制造"},
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    app = created.json()
    url = f"/api/v1/applications/{app['id']}/"
    assert app["state"] == "draft" and app["state_display"] == "草稿" and app["version"] == 1
    assert app["applicant"] == tree.ent.pk and app["holder"] == tree.ent.pk and app["holder_name"] == tree.ent.name
    assert app["notice"] == notice.pk and app["category_display"] == "绿色工厂"
    assert app["data"] == {"industry_code": "C3311", "industry_name": "金属结构制造"}
    assert app["engagement"] is None and app["declarations"] == [] and app["commitment_signer"] == ""
    assert [(m["name"], m["required"], m["current"], m["versions"]) for m in app["materials"]] == [
        ("自评价报告", True, None, [])
    ]
    assert "缺少必须提交的材料：自评价报告" in app["missing"] and "尚未签署承诺书。" in app["missing"]

    # Before completion: submit is offered but blocked, with what is missing.
    options = ent.get(f"{url}transitions/").json()
    assert options["state"] == "draft" and options["version"] == 1
    [submit] = options["actions"]
    assert submit["action"] == "submit" and submit["label"] == "提交" and submit["allowed"] is False
    assert submit["reason_required"] is False
    assert submit["problems"] == app["missing"]
    assert "负面清单声明还有9项未作答。" in submit["problems"]
    refused = ent.post(f"{url}transitions/", {"action": "submit"}, format="json")
    assert refused.status_code == 400
    assert refused.json()["problems"] == submit["problems"]
    assert refused.json()["detail"].startswith("现在不能提交：")

    # A bad value is refused with the field's Chinese error, and nothing is saved.
    bad = ent.patch(
        url, {"data": {**FACTORY_DATA, "industry_code": "XYZ"}, "commitment_signer": "王建国"}, format="json"
    )
    assert bad.status_code == 400
    assert bad.json() == {
        "data": {"industry_code": ["行业代码应为 GB/T 4754 国民经济行业分类代码，如 C3311 或 3311。"]}
    }
    unknown = ent.patch(url, {"data": {"self_score": 90, "forest_area": 3, "third_party_score": 99}}, format="json")
    assert unknown.status_code == 400
    assert unknown.json() == {
        "data": {
            "forest_area": ["绿色工厂的申报信息没有此项。"],
            "third_party_score": ["第三方评价得分由受委托的评价机构上传评价报告时填写。"],
        }
    }
    score = ent.patch(url, {"data": {"self_score": 101}}, format="json")
    assert score.status_code == 400 and list(score.json()["data"]) == ["self_score"]
    saved = Application.objects.get(pk=app["id"])
    assert saved.data == {"industry_code": "C3311", "industry_name": "金属结构制造"}
    assert not saved.commitment_signer

    # Data is merged with what is saved.
    patched = ent.patch(url, {"data": {k: v for k, v in FACTORY_DATA.items() if k != "industry_code"}}, format="json")
    assert patched.status_code == 200, patched.content
    assert patched.json()["data"] == FACTORY_DATA
    assert not any(p.startswith("申报信息未填写") for p in patched.json()["missing"])

    # Declarations: a declared situation needs an explanation; signing needs every item answered first.
    declared = ent.patch(
        url, {"declarations": {**NO_DECLARATIONS, "NEG-TAX": {"occurred": True, "note": ""}}}, format="json"
    )
    assert declared.status_code == 400
    assert declared.json() == {"declarations": {"NEG-TAX": ["存在该情形的，请说明具体情况。"]}}
    assert not Declaration.objects.exists()
    early = ent.patch(url, {"commitment_signer": "王建国"}, format="json")
    assert early.status_code == 400
    assert early.json() == {"detail": "请先逐项回答负面清单声明，再签署承诺书。"}
    signed = ent.patch(url, {"declarations": NO_DECLARATIONS, "commitment_signer": "王建国"}, format="json")
    assert signed.status_code == 200, signed.content
    body = signed.json()
    assert [(d["item"], d["occurred"]) for d in body["declarations"]] == [(c, False) for c in NegativeItem.values]
    assert body["declarations"][4]["item_display"].startswith("偷漏税")
    assert body["commitment_signer"] == "王建国" and body["commitment_signed_at"]
    assert body["missing"] == ["缺少必须提交的材料：自评价报告"]

    # A text file named .pdf is refused in Chinese and nothing reaches the disk.
    kind = material_id(notice)
    fake = upload(ent, app["id"], kind, "报告.pdf", b"just text, not a PDF")
    assert fake.status_code == 400
    assert fake.json() == {"detail": "文件“报告.pdf”无法识别或已损坏。请上传PDF格式的文件。"}
    assert not MaterialFile.objects.exists() and stored_files(media) == []
    wrong_kind = upload(ent, app["id"], "999999")
    assert wrong_kind.status_code == 400
    assert wrong_kind.json() == {"kind": ["该通知对此申报类别没有这项材料要求。"]}
    no_file = ent.post(f"{url}materials/", {"kind": kind})
    assert no_file.status_code == 400 and list(no_file.json()) == ["file"]

    # A real PDF is version 1; uploading again makes version 2 and keeps the first.
    first = upload(ent, app["id"], kind, "自评价报告.pdf")
    assert first.status_code == 201, first.content
    assert first.json()["version"] == 1 and first.json()["is_current"] is True
    assert first.json()["original_name"] == "自评价报告.pdf" and first.json()["content_type"] == "application/pdf"
    assert first.json()["uploaded_by_org"] == tree.ent.pk and first.json()["size"] == len(PDF_BYTES)
    second = upload(ent, app["id"], kind, "自评价报告（修订）.pdf", PDF_BYTES + b"\n% revised\n")
    assert second.status_code == 201 and second.json()["version"] == 2
    assert len(stored_files(media)) == 2
    assert all("自评价" not in p.name for p in stored_files(media))  # random names on disk
    [slot] = ent.get(url).json()["materials"]
    assert slot["kind"] == kind and slot["accepted_types"] == ["pdf"] and slot["uploaded_by"] == "applicant"
    assert slot["current"]["version"] == 2
    assert [(v["version"], v["is_current"], v["original_name"]) for v in slot["versions"]] == [
        (2, True, "自评价报告（修订）.pdf"),
        (1, False, "自评价报告.pdf"),
    ]
    assert download(ent, slot["versions"][1]["url"]) == PDF_BYTES
    assert download(ent, slot["current"]["url"]) == PDF_BYTES + b"\n% revised\n"
    response = ent.get(first.json()["url"])
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]

    # Complete: submit is allowed, and goes to the county.
    [submit] = ent.get(f"{url}transitions/").json()["actions"]
    assert submit == {"action": "submit", "label": "提交", "allowed": True, "problems": [], "reason_required": False}
    done = ent.post(f"{url}transitions/", {"action": "submit", "version": 1}, format="json")
    assert done.status_code == 200, done.content
    app = done.json()
    assert app["state"] == "under_review" and app["state_display"] == "审核中" and app["version"] == 2
    assert app["holder"] == tree.county.pk and app["holder_name"] == tree.county.name
    assert app["submitted_at"] and app["missing"] is None
    assert Referral.objects.get(application_id=app["id"]).authority == tree.county

    # Submitted: no more edits or uploads; withdrawing is what the applicant may do now.
    locked = ent.patch(url, {"data": {"self_score": 90}}, format="json")
    assert locked.status_code == 400
    assert locked.json()["detail"].startswith("申报当前为“审核中”，不能修改")
    assert upload(ent, app["id"], kind).status_code == 400
    assert MaterialFile.objects.count() == 2 and len(stored_files(media)) == 2
    assert [a["action"] for a in ent.get(f"{url}transitions/").json()["actions"]] == ["withdraw"]

    # The county now sees it, with its files, and may return it; it may not edit it.
    county = token_client(tree.users["county"])
    assert [row["id"] for row in county.get("/api/v1/applications/").json()["results"]] == [app["id"]]
    assert download(county, slot["current"]["url"]).startswith(b"%PDF-")
    options = county.get(f"{url}transitions/").json()["actions"]
    assert [(a["action"], a["reason_required"]) for a in options] == [
        ("recommend", True),
        ("return", True),
        ("not_recommend", True),
    ]
    edit = county.patch(url, {"data": {"self_score": 99}}, format="json")
    assert edit.status_code == 403
    assert edit.json() == {"detail": "只有申报单位的人员可以办理此事项。"}
    assert upload(county, app["id"], kind).status_code == 403
    no_reason = county.post(f"{url}transitions/", {"action": "return"}, format="json")
    assert no_reason.status_code == 400
    assert no_reason.json() == {"reason": ["退回修改须填写理由。"]}
    returned = county.post(f"{url}transitions/", {"action": "return", "reason": "补充能效证明"}, format="json")
    assert returned.status_code == 200
    assert returned.json()["state"] == "returned" and returned.json()["holder"] == tree.ent.pk

    # Returned: the county still sees it but may not resubmit in the applicant's place; the applicant may.
    refused = county.post(f"{url}transitions/", {"action": "resubmit"}, format="json")
    assert refused.status_code == 403
    assert refused.json() == {"detail": "您无权对该申报执行“重新提交”。"}
    assert county.get(f"{url}transitions/").json()["actions"] == []
    assert [a["action"] for a in ent.get(f"{url}transitions/").json()["actions"]] == ["resubmit"]
    again = ent.post(f"{url}transitions/", {"action": "resubmit"}, format="json")
    assert again.status_code == 200 and again.json()["holder"] == tree.county.pk


def test_create_refusals_in_chinese(tree, notice):
    ent = token_client(tree.users["ent"])
    park = ent.post("/api/v1/applications/", {"notice": notice.pk, "category": "park"}, format="json")
    assert park.status_code == 400
    assert park.json() == {"category": ["企业不能申报该类别。"]}
    bad = ent.post(
        "/api/v1/applications/",
        {"notice": 999999, "category": "forest", "evaluation_mode": "both", "data": "x"},
        format="json",
    )
    assert bad.status_code == 400
    errors = bad.json()
    assert set(errors) == {"notice", "category", "evaluation_mode", "data"}
    assert errors["notice"] == ["编号为 999999 的通知不存在或不可见。"]
    assert errors["category"] == ["未知的申报类别：forest。"]
    data = ent.post(
        "/api/v1/applications/",
        {"notice": notice.pk, "category": "factory", "data": {"energy_efficiency_level": "best"}},
        format="json",
    )
    assert data.status_code == 400 and list(data.json()) == ["data"]
    assert "energy_efficiency_level" in data.json()["data"]
    foreign = ent.post(
        "/api/v1/applications/",
        {"notice": notice.pk, "category": "factory", "applicant": tree.other_ent.pk},
        format="json",
    )
    assert foreign.status_code == 400
    assert "只能选择本人所在的企业或园区" in foreign.json()["applicant"][0]
    assert not Application.objects.exists()

    assert (
        ent.post("/api/v1/applications/", {"notice": notice.pk, "category": "factory"}, format="json").status_code
        == 201
    )
    twice = ent.post("/api/v1/applications/", {"notice": notice.pk, "category": "factory"}, format="json")
    assert twice.status_code == 400
    assert twice.json() == {"detail": "本单位已在该通知下申报过该类别，请在“我的申报”中继续办理。"}
    # An authority has no applicant organization to apply for.
    county = token_client(tree.users["county"])
    none = county.post("/api/v1/applications/", {"notice": notice.pk, "category": "factory"}, format="json")
    assert none.status_code == 400 and none.json() == {"applicant": ["请指定以哪个单位的名义申报。"]}


# The park


def test_park_applies_and_submits_to_the_city_directly(tree, notice, media):
    park_org = enterprise("太原测试工业园区管理委员会", tree.city, kind="park")
    park = token_client(member(park_org, username="u-park"))
    created = park.post(
        "/api/v1/applications/", {"notice": notice.pk, "category": "park", "data": PARK_DATA}, format="json"
    )
    assert created.status_code == 201, created.content
    app = created.json()
    url = f"/api/v1/applications/{app['id']}/"
    assert app["category_display"] == "绿色工业园区" and app["holder"] == park_org.pk
    assert app["data"]["value_added_share"] == 62.5 and app["data"]["green_factory_count"] == 7
    assert [m["name"] for m in app["materials"]] == ["园区自评价报告"]
    factory = park.post("/api/v1/applications/", {"notice": notice.pk, "category": "factory"}, format="json")
    assert factory.json() == {"category": ["园区管理机构不能申报该类别。"]}

    signed = park.patch(url, {"declarations": NO_DECLARATIONS, "commitment_signer": "赵主任"}, format="json")
    assert signed.status_code == 200 and signed.json()["missing"] == ["缺少必须提交的材料：园区自评价报告"]
    assert upload(park, app["id"], material_id(notice, "park"), "园区自评价报告.pdf").status_code == 201
    [submit] = park.get(f"{url}transitions/").json()["actions"]
    assert submit["allowed"] is True
    done = park.post(f"{url}transitions/", {"action": "submit"}, format="json")
    assert done.status_code == 200, done.content
    assert done.json()["state"] == "under_review"
    assert done.json()["holder"] == tree.city.pk and done.json()["holder_name"] == tree.city.name

    city = token_client(tree.users["city"])
    assert city.get(url).json()["applicant_name"] == park_org.name
    assert [a["action"] for a in city.get(f"{url}transitions/").json()["actions"]] == [
        "recommend",
        "return",
        "not_recommend",
    ]
    assert token_client(tree.users["county"]).get(url).status_code == 404


# The third-party assessor


def test_third_party_engagement_report_and_submit(tree, notice, media):
    assessor_org = enterprise("测试评价机构有限公司", tree.province, kind="assessor")
    other_org = enterprise("另一评价机构有限公司", tree.province, kind="assessor")
    assessor = token_client(member(assessor_org, username="u-assessor"))
    other = token_client(member(other_org, username="u-other-assessor"))
    ent = token_client(tree.users["ent"])
    app = ent.post(
        "/api/v1/applications/",
        {"notice": notice.pk, "category": "factory", "evaluation_mode": "third_party", "data": FACTORY_DATA},
        format="json",
    ).json()
    url = f"/api/v1/applications/{app['id']}/"
    ent.patch(url, {"declarations": NO_DECLARATIONS, "commitment_signer": "王建国"}, format="json")
    assert upload(ent, app["id"], material_id(notice)).status_code == 201
    [submit] = ent.get(f"{url}transitions/").json()["actions"]
    assert submit["allowed"] is False and submit["problems"] == ["尚未委托第三方评价机构。"]
    assert assessor.get(url).status_code == 404  # not commissioned yet

    # Commissioning: only a registered assessor; the one who wrote the self-evaluation may not.
    not_assessor = ent.post(f"{url}engagement/", {"assessor": tree.county.pk}, format="json")
    assert not_assessor.status_code == 400
    assert not_assessor.json() == {"assessor": [f"编号为 {tree.county.pk} 的单位不是登记在册的第三方评价机构。"]}
    wrote = ent.patch(url, {"self_evaluation_org": assessor_org.pk, "self_evaluation_person": "李四"}, format="json")
    assert wrote.status_code == 200 and wrote.json()["self_evaluation_org_name"] == assessor_org.name
    dependent = ent.post(f"{url}engagement/", {"assessor": assessor_org.pk}, format="json")
    assert dependent.status_code == 400
    assert dependent.json() == {"detail": f"“{assessor_org.name}”编制了本单位的自评价报告，不能再作为第三方评价机构。"}
    # Clearing the organization keeps the person (the other field of the pair is left as it was).
    cleared = ent.patch(url, {"self_evaluation_org": None}, format="json").json()
    assert cleared["self_evaluation_org"] is None and cleared["self_evaluation_person"] == "李四"
    requested = ent.post(f"{url}engagement/", {"assessor": assessor_org.pk}, format="json")
    assert requested.status_code == 201, requested.content
    engagement = requested.json()
    assert engagement["status"] == "pending" and engagement["status_display"] == "待接受"
    assert engagement["assessor_name"] == assessor_org.name and engagement["application"] == app["id"]
    respond = f"/api/v1/engagements/{engagement['id']}/respond/"
    report = f"/api/v1/engagements/{engagement['id']}/report/"

    # The assessor sees its engagement and the application; another assessor sees neither.
    mine = assessor.get("/api/v1/engagements/").json()
    assert mine["count"] == 1 and mine["results"][0]["applicant_name"] == tree.ent.name
    assert mine["results"][0]["notice_title"] == notice.title
    assert assessor.get(url).json()["engagement"]["status"] == "pending"
    assert ent.get("/api/v1/engagements/").json()["count"] == 1
    assert other.get("/api/v1/engagements/").json()["count"] == 0
    assert other.get(f"/api/v1/engagements/{engagement['id']}/").status_code == 404
    assert other.post(respond, {"accept": True}, format="json").status_code == 404

    # Only the assessor answers, and its lead may not be the self-evaluation's author.
    by_applicant = ent.post(respond, {"accept": True}, format="json")
    assert by_applicant.status_code == 403
    assert by_applicant.json() == {"detail": "只有受委托的评价机构可以答复。"}
    too_early = assessor.post(report, {"file": SimpleUploadedFile("r.pdf", PDF_BYTES), "score": "90"})
    assert too_early.status_code == 400 and too_early.json() == {"detail": "请先接受委托，再上传评价报告。"}
    author = assessor.post(respond, {"accept": True, "lead_assessor": "李四"}, format="json")
    assert author.status_code == 400
    assert author.json() == {"detail": "“李四”编制了自评价报告，不能担任第三方评价项目负责人。"}
    accepted = assessor.post(respond, {"accept": True, "lead_assessor": "张三"}, format="json")
    assert accepted.status_code == 200
    assert accepted.json()["status"] == "accepted" and accepted.json()["lead_assessor"] == "张三"
    [submit] = ent.get(f"{url}transitions/").json()["actions"]
    assert submit["problems"] == [f"第三方评价机构“{assessor_org.name}”尚未上传评价报告和得分。"]

    # Only the assessor uploads the report, a real PDF, with a score from 0 to 100.
    refused = ent.post(report, {"file": SimpleUploadedFile("r.pdf", PDF_BYTES), "score": "90"})
    assert refused.status_code == 403
    assert refused.json() == {"detail": "只有受委托的评价机构可以上传第三方评价报告。"}
    assert upload(ent, app["id"], "third_party_report").status_code == 403
    high = assessor.post(report, {"file": SimpleUploadedFile("r.pdf", PDF_BYTES), "score": "120"})
    assert high.status_code == 400 and list(high.json()) == ["score"]
    fake = assessor.post(report, {"file": SimpleUploadedFile("报告.pdf", b"plain text"), "score": "90"})
    assert fake.status_code == 400 and "无法识别或已损坏" in fake.json()["detail"]
    assert not MaterialFile.objects.filter(kind="third_party_report").exists()
    reported = assessor.post(report, {"file": SimpleUploadedFile("第三方评价报告.pdf", PDF_BYTES), "score": "91.5"})
    assert reported.status_code == 201, reported.content
    assert reported.json()["file"]["kind"] == "third_party_report" and reported.json()["file"]["version"] == 1
    assert reported.json()["file"]["uploaded_by_org"] == assessor_org.pk
    assert reported.json()["engagement"]["score"] == 91.5 and reported.json()["engagement"]["report_submitted_at"]

    detail = ent.get(url).json()
    assert detail["engagement"]["score"] == 91.5 and detail["data"]["third_party_score"] == 91.5
    slot = next(m for m in detail["materials"] if m["kind"] == "third_party_report")
    assert slot["uploaded_by"] == "assessor" and slot["current"]["original_name"] == "第三方评价报告.pdf"
    assert detail["missing"] == []
    done = ent.post(f"{url}transitions/", {"action": "submit"}, format="json")
    assert done.status_code == 200 and done.json()["holder"] == tree.county.pk
    # The assessor keeps seeing what it assessed, and its report.
    assert download(assessor, slot["current"]["url"]) == PDF_BYTES
    assert assessor.get(f"{url}transitions/").json()["actions"] == []


def test_assessor_declines_with_a_reason_and_loses_sight_of_the_application(tree, notice):
    assessor_org = enterprise("测试评价机构有限公司", tree.province, kind="assessor")
    assessor = token_client(member(assessor_org, username="u-assessor"))
    ent = token_client(tree.users["ent"])
    app = ent.post(
        "/api/v1/applications/",
        {"notice": notice.pk, "category": "factory", "evaluation_mode": "third_party"},
        format="json",
    ).json()
    url = f"/api/v1/applications/{app['id']}/"
    engagement = ent.post(f"{url}engagement/", {"assessor": assessor_org.pk}, format="json").json()
    respond = f"/api/v1/engagements/{engagement['id']}/respond/"
    no_reason = assessor.post(respond, {"accept": False}, format="json")
    assert no_reason.status_code == 400 and no_reason.json() == {"reason": ["请填写拒绝理由。"]}
    declined = assessor.post(respond, {"accept": False, "reason": "本年度评价项目已满"}, format="json")
    assert declined.status_code == 200 and declined.json()["status_display"] == "已拒绝"
    assert assessor.get(url).status_code == 404
    assert assessor.get("/api/v1/engagements/?status=declined").json()["count"] == 1
    shown = ent.get(url).json()["engagement"]
    assert shown["status"] == "declined" and shown["decline_reason"] == "本年度评价项目已满"
    again = assessor.post(respond, {"accept": True}, format="json")
    assert again.status_code == 400 and again.json() == {"detail": "该委托已拒绝，不能再答复。"}


# Who sees what


def test_outsiders_get_404_on_the_application_its_files_uploads_and_transitions(tree, notice, media):
    assessor_org = enterprise("无关评价机构有限公司", tree.province, kind="assessor")
    user = tree.users["ent"]
    app = transition_perform(actor=user, application=ready_application(user, tree.ent, notice), action="submit")
    record = MaterialFile.objects.get(application=app)
    url = f"/api/v1/applications/{app.pk}/"
    file_url = f"{url}files/{record.pk}/"
    before = stored_files(media)
    outsiders = {
        "another enterprise": tree.users["other_ent"],
        "the city before the county forwarded it": tree.users["city"],
        "an unrelated assessor": member(assessor_org, username="u-unrelated-assessor"),
    }
    for who, outsider in outsiders.items():
        client = token_client(outsider)
        file_missing = {"detail": "未找到该文件，或您无权查看。"}
        for response, expected in (
            (client.get(url), NOT_FOUND),
            (client.patch(url, {"data": {"self_score": 1}}, format="json"), NOT_FOUND),
            (client.get(file_url), file_missing),
            (upload(client, app.pk, material_id(notice)), NOT_FOUND),
            (client.get(f"{url}transitions/"), NOT_FOUND),
            (client.post(f"{url}transitions/", {"action": "withdraw"}, format="json"), NOT_FOUND),
            (client.post(f"{url}transitions/", {"action": "return", "reason": "x"}, format="json"), NOT_FOUND),
            (client.post(f"{url}engagement/", {"assessor": assessor_org.pk}, format="json"), NOT_FOUND),
        ):
            request = response.request
            assert response.status_code == 404, (who, request["REQUEST_METHOD"], request["PATH_INFO"])
            assert response.json() == expected, who
        assert client.get("/api/v1/applications/").json()["count"] == 0, who
    assert stored_files(media) == before and MaterialFile.objects.count() == 1
    app.refresh_from_db()
    assert app.state == "under_review" and app.version == 2

    # Another enterprise's file through its own application is not found either.
    other_user = tree.users["other_ent"]
    other_notice = open_chain_for_other_city(tree, notice)
    own = services.application_create(
        actor=other_user, applicant=tree.other_ent, notice=other_notice, category="factory"
    )
    client = token_client(other_user)
    assert client.get(f"/api/v1/applications/{own.pk}/").status_code == 200
    crossed = client.get(f"/api/v1/applications/{own.pk}/files/{record.pk}/")
    assert crossed.status_code == 404 and crossed.json() == {"detail": "未找到该文件，或您无权查看。"}
    # Nobody anonymous.
    assert APIClient().get(url).status_code in (401, 403)
    assert APIClient().get(file_url).status_code in (401, 403)


def open_chain_for_other_city(tree, notice):
    """大同 forwards the province's notice, so its enterprises have one to apply to."""
    from datetime import timedelta

    from django.utils import timezone

    from tests.notice_helpers import published_notice

    root = notice.created_by
    now = timezone.now().replace(microsecond=0)
    return published_notice(
        root,
        tree.other_city,
        forwards=notice.forwards,
        deadlines=[("authority", now + timedelta(days=20)), ("applicant", now + timedelta(days=5))],
    )


def test_a_stale_version_gets_409_and_changes_nothing(tree, notice):
    user = tree.users["ent"]
    app = transition_perform(actor=user, application=ready_application(user, tree.ent, notice), action="submit")
    url = f"/api/v1/applications/{app.pk}/transitions/"
    ent, county = token_client(user), token_client(tree.users["county"])
    seen = county.get(url).json()["version"]  # both read the same page
    assert seen == ent.get(url).json()["version"] == 2
    withdrawn = ent.post(url, {"action": "withdraw", "version": seen}, format="json")
    assert withdrawn.status_code == 200 and withdrawn.json()["state"] == "withdrawn"
    late = county.post(url, {"action": "not_recommend", "reason": "能效未达标", "version": seen}, format="json")
    assert late.status_code == 409
    assert late.json() == {
        "detail": "该申报已被他人处理，当前状态为“已撤回”。请刷新后再操作。",
        "state": "withdrawn",
        "state_display": "已撤回",
        "version": 3,
    }
    # Without a version, the state itself is the conflict.
    stale = county.post(url, {"action": "return", "reason": "补充材料"}, format="json")
    assert stale.status_code == 409 and stale.json()["detail"] == "申报当前为“已撤回”，不能退回修改。"
    app.refresh_from_db()
    assert app.state == "withdrawn" and app.version == 3
    assert list(Referral.objects.filter(application=app).values_list("decision", flat=True)) == ["withdrawn"]
    unknown = ent.post(url, {"action": "fly"}, format="json")
    assert unknown.status_code == 400 and unknown.json() == {"action": ["未知操作：fly。"]}


# Lists


def count_queries(client, url) -> tuple[int, dict]:
    client.get(url)  # warm per-process caches
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries), response.json()


def submitted_applications(tree, notice, start, stop):
    for n in range(start, stop):
        org = enterprise(f"小店测试企业{n:02d}有限公司", tree.county)
        user = member(org, username=f"u-ent-{n:02d}")
        transition_perform(actor=user, application=ready_application(user, org, notice), action="submit")


def test_list_filters_and_queries_do_not_grow_from_1_to_20_rows(tree, notice):
    assessor_org = enterprise("测试评价机构有限公司", tree.province, kind="assessor")
    county = token_client(tree.users["county"])
    submitted_applications(tree, notice, 0, 1)
    one, body = count_queries(county, "/api/v1/applications/")
    assert body["count"] == 1

    submitted_applications(tree, notice, 1, 20)
    # One of them with a third-party engagement, so the prefetch has something to carry.
    app = Application.objects.order_by("id").last()
    Application.objects.filter(pk=app.pk).update(evaluation_mode="third_party")
    Engagement.objects.create(application=app, assessor=assessor_org)
    twenty, body = count_queries(county, "/api/v1/applications/")
    assert body["count"] == 20 and len(body["results"]) == 20
    assert set(body) == {"count", "next", "previous", "results"}
    row = body["results"][0]
    assert row["state"] == "under_review" and row["holder"] == tree.county.pk and row["holder_name"] == tree.county.name
    assert row["engagement"]["assessor_name"] == assessor_org.name
    assert "missing" not in row and "materials" not in row
    assert one == twenty

    assert county.get("/api/v1/applications/?state=under_review").json()["count"] == 20
    assert county.get("/api/v1/applications/?state=draft").json()["count"] == 0
    assert county.get("/api/v1/applications/?category=park").json()["count"] == 0
    assert county.get(f"/api/v1/applications/?category=factory&notice={notice.pk}").json()["count"] == 20
    assert county.get(f"/api/v1/applications/?notice={notice.forwards_id}").json()["count"] == 0
    bad = county.get("/api/v1/applications/?state=lost")
    assert bad.status_code == 400 and "state" in bad.json()
    # The city has received none of them; the enterprise sees its own only.
    assert token_client(tree.users["city"]).get("/api/v1/applications/").json()["count"] == 0
    assert token_client(tree.users["ent"]).get("/api/v1/applications/").json()["count"] == 0


def test_engagement_list_queries_do_not_grow_from_1_to_20_rows(tree, notice):
    assessor_org = enterprise("测试评价机构有限公司", tree.province, kind="assessor")
    assessor = token_client(member(assessor_org, username="u-assessor"))

    def commission(start, stop):
        for n in range(start, stop):
            org = enterprise(f"小店委托企业{n:02d}有限公司", tree.county)
            user = member(org, username=f"u-client-{n:02d}")
            app = services.application_create(
                actor=user, applicant=org, notice=notice, category="factory", evaluation_mode="third_party"
            )
            services.engagement_request(actor=user, application=app, assessor=assessor_org)

    commission(0, 1)
    one, body = count_queries(assessor, "/api/v1/engagements/")
    assert body["count"] == 1
    commission(1, 20)
    twenty, body = count_queries(assessor, "/api/v1/engagements/")
    assert body["count"] == 20 and body["results"][0]["applicant_name"].startswith("小店委托企业")
    assert one == twenty
    assert assessor.get("/api/v1/engagements/?status=accepted").json()["count"] == 0
