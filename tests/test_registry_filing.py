"""Filing (备案) with a province: the assessor files with the 002 conditions and proofs (checked by content), the
province sees the conditions checked, approves or rejects with a reason, revokes with a reason; the assessor corrects
and files again. Visibility: the assessor its own, the province what was filed with it, the ministry all (404 else)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from activity.models import AuditEvent, Notification
from organizations import services_registry as services
from organizations.models import AssessorFiling, AssessorFilingProof
from organizations.selectors_registry import filing_checks, filings_visible_to
from tests.factories import authority, member
from tests.registry_helpers import approved, file_with, new_assessor, pdf, png


@pytest.fixture
def jilin(tree):
    return authority("吉林省工信厅（测试）", "220000", "province", tree.ministry)


def test_filing_is_submitted_with_its_conditions_and_proofs_and_the_province_is_told(tree):
    assessor, user = new_assessor("山西清源绿色评价技术有限公司")
    filing = file_with(user, assessor, tree.province, proofs=[("legal_person", pdf("营业执照.pdf")), ("staff", png())])
    assert filing.status == AssessorFiling.Status.SUBMITTED
    assert (filing.staff_mid_level, filing.senior_in_fields, filing.fields_display) == (
        12,
        5,
        "能源2人、环境2人、生命周期评价1人",
    )
    proofs = list(filing.proofs.order_by("id"))
    assert [(p.kind, p.original_name, p.content_type) for p in proofs] == [
        ("legal_person", "营业执照.pdf", "application/pdf"),
        ("staff", "照片.png", "image/png"),
    ]
    assert all(len(p.sha256) == 64 and p.size > 0 for p in proofs)
    assert [(c.ok, c.detail) for c in filing_checks(filing)][2:4] == [
        (True, "12人（专职人员共18人）"),
        (True, "5人：能源2人、环境2人、生命周期评价1人（高级职称共6人）"),
    ]
    event = AuditEvent.objects.get(verb="assessor_filing.submit")
    assert event.organization == assessor and event.reason == "向山西省工信厅（测试）备案"
    note = Notification.objects.get(recipient=tree.users["province"])
    assert note.title == "山西清源绿色评价技术有限公司提交了第三方评价机构备案"
    assert note.url == f"/assessors/filings/{filing.pk}/"


def test_proofs_are_checked_by_content(tree, media_tmp):
    from django.core.files.uploadedfile import SimpleUploadedFile

    assessor, user = new_assessor()
    fake = SimpleUploadedFile("营业执照.pdf", b"this is not a pdf at all", content_type="application/pdf")
    with pytest.raises(ValidationError) as excinfo:
        file_with(user, assessor, tree.province, proofs=[("legal_person", fake)])
    assert excinfo.value.message_dict == {
        "proofs": ["文件“营业执照.pdf”无法识别或已损坏。请上传PDF、JPG 图片、PNG 图片格式的文件。"]
    }
    docx = SimpleUploadedFile("职称证书.pdf", _docx_bytes(), content_type="application/pdf")
    with pytest.raises(ValidationError) as excinfo:
        file_with(user, assessor, tree.province, proofs=[("staff", pdf()), ("staff", docx)])
    assert excinfo.value.message_dict["proofs"] == [
        "文件“职称证书.pdf”的实际内容是Word（docx），此处只接受PDF、JPG 图片、PNG 图片。"
    ]
    assert not AssessorFiling.objects.exists() and not AssessorFilingProof.objects.exists()
    assert not any(p.is_file() for p in media_tmp.rglob("*"))
    with pytest.raises(ValidationError) as excinfo:
        file_with(user, assessor, tree.province, proofs=[])
    assert excinfo.value.message_dict == {"proofs": ["请上传基本条件的证明材料（PDF、JPG 或 PNG）。"]}
    # Judged by content, not by name: a scan saved as PNG under a .pdf name is kept as the PNG it is.
    filing = file_with(user, assessor, tree.province, proofs=[("staff", png("职称证书.pdf"))])
    assert filing.proofs.get().content_type == "image/png"
    assert filing.proofs.get().file.name.endswith(".png")


def _docx_bytes() -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def test_the_form_data_is_checked_field_by_field(tree):
    assessor, user = new_assessor()
    bad = {
        "registration_authority": "",
        "staff_full_time": 8,
        "staff_mid_level": 10,
        "staff_senior": 11,
        "experience": [{"year": "去年", "client": "某企业", "work": "评价"}],
    }
    with pytest.raises(ValidationError) as excinfo:
        file_with(user, assessor, tree.province, data=bad)
    assert excinfo.value.message_dict == {
        "registration_authority": ["请填写登记机关（如市场监督管理局）。"],
        "staff_mid_level": ["中级职称以上专职人员不能多于专职人员总数。"],
        "staff_senior": ["高级职称人员不能多于中级职称以上专职人员。"],
        "experience": ["第1项工作经历：请填写年份。"],
    }


def test_only_the_assessors_members_file_and_only_with_a_province(tree):
    assessor, user = new_assessor()
    with pytest.raises(PermissionDenied):
        file_with(tree.users["ent"], assessor, tree.province)
    with pytest.raises(ValidationError) as excinfo:
        file_with(user, assessor, tree.city)
    assert excinfo.value.message_dict == {"authority": ["只有省级工业和信息化主管部门可以受理备案。"]}


def test_one_open_filing_per_assessor_and_province(tree, jilin):
    assessor, user = new_assessor()
    file_with(user, assessor, tree.province)
    with pytest.raises(ValidationError) as excinfo:
        file_with(user, assessor, tree.province)
    assert excinfo.value.messages == ["本机构已向山西省工信厅（测试）备案（待审核），无需重复提交。"]
    assert file_with(user, assessor, jilin).status == "submitted"  # another province: its own filing


def test_approve_notifies_the_assessor_and_is_audited(tree):
    assessor, user = new_assessor("晋源评价咨询有限公司")
    filing = approved(user, assessor, tree.province, tree.users["province"])
    assert (filing.status, filing.decided_by, filing.decision_reason) == (
        "approved",
        tree.users["province"],
        "材料齐全",
    )
    event = AuditEvent.objects.get(verb="assessor_filing.approve")
    assert (event.before, event.after, event.organization) == ("submitted", "approved", tree.province)
    note = Notification.objects.filter(recipient=user).latest("id")
    assert note.title == "山西省工信厅（测试）：晋源评价咨询有限公司已予备案"


def test_rejection_needs_a_reason_and_the_assessor_sees_it(tree, client):
    assessor, user = new_assessor("晋源评价咨询有限公司")
    filing = file_with(user, assessor, tree.province)
    with pytest.raises(ValidationError) as excinfo:
        services.filing_decide(actor=tree.users["province"], filing=filing, approve=False, reason="  ")
    assert excinfo.value.message_dict == {"reason": ["不予备案须填写理由，评价机构将据此修改后重新提交。"]}
    filing.refresh_from_db()
    assert filing.status == "submitted"
    services.filing_decide(actor=tree.users["province"], filing=filing, approve=False, reason="高级职称证书不清晰")
    client.force_login(user)
    body = client.get("/assessors/").content.decode()
    assert "不予备案</span>：高级职称证书不清晰" in body
    assert f'href="/assessors/filings/new/?from={filing.pk}"' in body
    detail = client.get(f"/assessors/filings/{filing.pk}/").content.decode()
    assert "不予备案（" in detail and "高级职称证书不清晰" in detail


def test_a_filing_short_of_the_conditions_cannot_be_approved(tree):
    assessor, user = new_assessor()
    filing = file_with(user, assessor, tree.province, data={"staff_mid_level": 9, "senior_fields": {"energy": 4}})
    checks = {c.label: c.ok for c in filing_checks(filing)}
    assert checks["（三）中级职称以上专职人员不少于10人"] is False
    assert checks["（三）其中能源、环境、生态、低碳、生命周期评价等专业高级职称人员不少于5人"] is False
    with pytest.raises(ValidationError) as excinfo:
        services.filing_decide(actor=tree.users["province"], filing=filing, approve=True)
    assert excinfo.value.messages == [
        "申报信息不满足基本条件，不能备案：（三）中级职称以上专职人员不少于10人；"
        "（三）其中能源、环境、生态、低碳、生命周期评价等专业高级职称人员不少于5人。请填写理由后不予备案。"
    ]


def test_only_the_provinces_approvers_decide(tree, jilin):
    assessor, user = new_assessor()
    filing = file_with(user, assessor, tree.province)
    operator = member(tree.province, role="operator")
    for outsider in (operator, tree.users["city"], user, member(jilin)):
        with pytest.raises(PermissionDenied):
            services.filing_decide(actor=outsider, filing=filing, approve=True)
    approver = member(tree.province, role="approver")
    assert services.filing_decide(actor=approver, filing=filing, approve=True).status == "approved"
    with pytest.raises(ValidationError):
        services.filing_decide(actor=approver, filing=filing, approve=False, reason="再议")


def test_revoke_needs_a_reason_then_the_assessor_corrects_and_files_again(tree):
    assessor, user = new_assessor()
    filing = approved(user, assessor, tree.province, tree.users["province"])
    with pytest.raises(ValidationError) as excinfo:
        services.filing_revoke(actor=tree.users["province"], filing=filing, reason="")
    assert excinfo.value.message_dict == {"reason": ["撤销备案须填写理由。"]}
    services.filing_revoke(actor=tree.users["province"], filing=filing, reason="专职人员变动，不再满足条件")
    filing.refresh_from_db()
    assert (filing.status, filing.revoke_reason) == ("revoked", "专职人员变动，不再满足条件")
    again = file_with(
        user,
        assessor,
        tree.province,
        data={"staff_mid_level": 15},
        proofs=[("staff", pdf("社保.pdf"))],
        previous=filing,
    )
    assert again.previous == filing and again.staff_mid_level == 15
    # The earlier proofs are carried over, with the new one.
    assert sorted(p.original_name for p in again.proofs.all()) == ["社保.pdf", "营业执照.pdf"]
    with pytest.raises(ValidationError):
        file_with(user, assessor, tree.province, previous=again)  # only a rejected or revoked filing is refiled


def test_refiling_through_the_pages(tree, client):
    assessor, user = new_assessor()
    filing = file_with(user, assessor, tree.province)
    services.filing_decide(actor=tree.users["province"], filing=filing, approve=False, reason="请补充社保证明")
    client.force_login(user)
    form = client.get(f"/assessors/filings/new/?from={filing.pk}")
    body = form.content.decode()
    assert "请补充社保证明" in body and 'value="太原市市场监督管理局"' in body and "营业执照.pdf" in body
    data = {
        "previous": filing.pk,
        "authority": tree.province.pk,
        "registered_in_prc": "on",
        "entity_type": "enterprise",
        "registration_authority": "太原市市场监督管理局",
        "office_address": "太原市小店区长治路1号",
        "has_financial_system": "on",
        "staff_full_time": "20",
        "staff_mid_level": "12",
        "staff_senior": "6",
        "senior_energy": "3",
        "senior_lca": "2",
        "contact_name": "韩立群",
        "contact_phone": "0351-7000001",
        "exp-TOTAL_FORMS": "2",
        "exp-INITIAL_FORMS": "0",
        "exp-0-year": "2024",
        "exp-0-client": "某化工企业",
        "exp-0-work": "绿色工厂评价",
        "proofs-TOTAL_FORMS": "1",
        "proofs-INITIAL_FORMS": "0",
        "proofs-0-kind": "staff",
        "proofs-0-file": pdf("社保证明.pdf"),
    }
    response = client.post("/assessors/filings/new/", data)
    again = AssessorFiling.objects.exclude(pk=filing.pk).get()
    assert response.status_code == 302 and response["Location"] == f"/assessors/filings/{again.pk}/"
    assert again.previous == filing and again.senior_fields == {"energy": 3, "lca": 2}
    assert again.experience == [{"year": 2024, "client": "某化工企业", "work": "绿色工厂评价"}]
    assert sorted(p.original_name for p in again.proofs.all()) == ["社保证明.pdf", "营业执照.pdf"]


def test_the_filing_form_shows_the_services_messages_on_the_fields(tree, client):
    assessor, user = new_assessor()
    client.force_login(user)
    response = client.post(
        "/assessors/filings/new/",
        {
            "authority": tree.province.pk,
            "entity_type": "enterprise",
            "staff_full_time": "5",
            "staff_mid_level": "6",
            "exp-TOTAL_FORMS": "0",
            "exp-INITIAL_FORMS": "0",
            "proofs-TOTAL_FORMS": "1",
            "proofs-INITIAL_FORMS": "0",
            "proofs-0-kind": "staff",
            "proofs-0-file": png("证书.pdf"),
        },
    )
    body = response.content.decode()
    assert response.status_code == 200 and not AssessorFiling.objects.exists()
    for message in (
        "请填写登记机关（如市场监督管理局）。",
        "中级职称以上专职人员不能多于专职人员总数。",
        "请至少填写一项近五年的相关工作经历。",
        "请填写联系人。",
    ):
        assert message in body


def test_the_province_decides_on_the_page_with_the_conditions_shown(tree, client):
    assessor, user = new_assessor("晋源评价咨询有限公司")
    filing = file_with(user, assessor, tree.province)
    client.force_login(tree.users["province"])
    page = client.get(f"/assessors/filings/{filing.pk}/").content.decode()
    assert "中级职称以上专职人员不少于10人" in page and "12人（专职人员共18人）" in page and "✓ 满足" in page
    assert f'action="/assessors/filings/{filing.pk}/decide/"' in page
    refused = client.post(f"/assessors/filings/{filing.pk}/decide/", {"decision": "reject", "reason": ""})
    assert "不予备案须填写理由" in refused.content.decode()
    done = client.post(f"/assessors/filings/{filing.pk}/decide/", {"decision": "approve", "reason": ""})
    assert done.status_code == 302
    filing.refresh_from_db()
    assert filing.status == "approved"
    proof = filing.proofs.get()
    download = client.get(f"/assessors/filings/{filing.pk}/proofs/{proof.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF-")


def test_visibility_of_filings(tree, jilin, client, django_user_model):
    assessor, user = new_assessor()
    other, other_user = new_assessor()
    filing = file_with(user, assessor, tree.province)
    elsewhere = file_with(other_user, other, jilin)
    assert set(filings_visible_to(user)) == {filing}
    assert set(filings_visible_to(tree.users["province"])) == {filing}
    assert set(filings_visible_to(tree.users["ministry"])) == {filing, elsewhere}
    assert not filings_visible_to(tree.users["city"]).exists()
    assert not filings_visible_to(tree.users["ent"]).exists()
    for who, pk in ((other_user, filing.pk), (tree.users["province"], elsewhere.pk), (tree.users["city"], filing.pk)):
        client.force_login(who)
        assert client.get(f"/assessors/filings/{pk}/").status_code == 404
        assert client.post(f"/assessors/filings/{pk}/decide/", {"decision": "approve"}).status_code == 404
    client.force_login(tree.users["ministry"])
    page = client.get(f"/assessors/filings/{elsewhere.pk}/").content.decode()
    assert other.name in page and 'id="decide"' not in page  # the ministry reads, the province decides
    client.force_login(tree.users["ent"])
    assert client.get("/assessors/").status_code == 404
    assert client.get("/assessors/filings/new/").status_code == 404


def test_the_new_filing_form_offers_the_provinces_and_the_usual_proofs(tree, client, jilin):
    assessor, user = new_assessor()
    client.force_login(user)
    home = client.get("/assessors/").content.decode()
    assert "本机构尚未向任何省级主管部门备案。" in home and 'href="/assessors/filings/new/"' in home
    page = client.get(f"/assessors/filings/new/?authority={jilin.pk}").content.decode()
    assert f'<option value="{jilin.pk}" selected>吉林省工信厅（测试）</option>' in page
    assert f'<option value="{tree.province.pk}">山西省工信厅（测试）</option>' in page
    assert f'<option value="{tree.city.pk}">' not in page  # only provinces take filings
    assert page.count('name="exp-') == 4 + 3 * 3  # management form and three blank rows
    assert '<option value="legal_person" selected>' in page and '<option value="staff" selected>' in page
