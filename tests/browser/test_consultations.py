"""A county sends a consultation in the browser, the ecology department objects with a proof, the county sees the
matrix. Screenshots go to test-artifacts/screenshots."""

import pytest
from django.utils import timezone

from reviews.models import Consultation, ConsultationReply
from tests.application_helpers import PDF_BYTES, open_chain
from tests.browser.conftest import screenshot
from tests.browser.test_login_dashboards import login
from tests.chain_helpers import submitted
from tests.factories import PASSWORD, authority, department, enterprise, member
from tests.support import ensure_regions

pytestmark = pytest.mark.browser


def test_consultation_round_in_the_browser(transactional_db, live_server, media_tmp, page, django_user_model, tmp_path):
    from types import SimpleNamespace

    ensure_regions()
    ministry = authority("工信部节能司（浏览器）", "110000", "ministry")
    province = authority("山西省工信厅（浏览器）", "140000", "province", ministry)
    city = authority("太原市工信局（浏览器）", "140100", "city", province)
    county = authority("小店区工信局（浏览器）", "140105", "county", city)
    ent = enterprise("小店绿色机械有限公司", county)
    eco = department("小店区生态环境分局", county, "ecology")
    department("小店区应急管理局", county, "emergency")
    department("小店区市场监督管理局", county, "market")
    tree = SimpleNamespace(ministry=ministry, province=province, city=city, county=county, ent=ent)
    tree.users = {
        "ent": member(ent),
        "county": member(county, username="b-county"),
        "eco": member(eco, username="b-eco"),
    }
    root = django_user_model.objects.create_superuser("root", "root@example.test", "x-unused-password-1")
    app = submitted(tree, open_chain(tree, root))

    login(page, live_server.url, "b-county", PASSWORD)
    page.goto(f"{live_server.url}/reviews/consultations/new/?applications={app.pk}")
    assert page.locator("input[name=departments]:checked").count() == 3
    screenshot(page, "consultation-new")
    page.get_by_role("button", name="发出征求意见").click()
    page.wait_for_load_state("networkidle")
    consultation = Consultation.objects.get()
    assert ConsultationReply.objects.filter(consultation=consultation).count() == 3

    page.context.clear_cookies()
    login(page, live_server.url, "b-eco", PASSWORD)
    page.goto(f"{live_server.url}/reviews/consultations/{consultation.pk}/")
    page.get_by_role("radio", name="有异议", exact=True).check()
    page.get_by_label("理由（有异议的必须填写）").fill("2025年3月废水超标排放，已立案处罚（小环罚〔2025〕12号）。")
    proof = tmp_path / "处罚决定书.pdf"
    proof.write_bytes(PDF_BYTES)
    page.get_by_label("证明材料（可选，PDF/JPG/PNG，不超过 20 MB）").set_input_files(str(proof))
    page.get_by_role("button", name="提交意见").click()
    page.wait_for_load_state("networkidle")
    assert "已反馈" in page.content()
    screenshot(page, "consultation-department")

    page.context.clear_cookies()
    login(page, live_server.url, "b-county", PASSWORD)
    page.goto(f"{live_server.url}/reviews/consultations/{consultation.pk}/")
    assert "废水超标排放" in page.content() and "处罚决定书.pdf" in page.content()
    screenshot(page, "consultation-matrix")
    page.goto(f"{live_server.url}/reviews/consultations/")
    assert "已反馈 1/3" in page.content()
    screenshot(page, "consultation-list")
    assert not page.outside_requests
    assert timezone.localdate()
