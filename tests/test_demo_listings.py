"""The demo's lists, dynamic management and assessor registry, as its users open them."""

from applications.models import Application
from eligibility.facts import gather
from eligibility.services import evaluate
from listings.models import DynamicReport, Listing


def page(client, demo, username, url) -> str:
    client.force_login(demo.users[username])
    response = client.get(url)
    assert response.status_code == 200, (username, url, response.status_code)
    return response.content.decode()


def test_public_lists_show_entries_in_effect(client, demo):
    html = client.get("/lists/").content.decode()
    assert "太原太钢不锈钢精密带钢有限公司" in html and "山西东湖老陈醋股份有限公司" in html
    assert "大同煤矿机械再制造有限公司" not in html  # removed by dynamic management
    removed = Listing.objects.get(organization__name="大同煤矿机械再制造有限公司")
    assert removed.status == "removed" and removed.removal_authority.name == "山西省工业和信息化厅"


def test_dynamic_management_at_both_ends(client, demo):
    report = DynamicReport.objects.get(round__year=2025)
    assert [f["code"] for f in report.flags] == ["energy_per_unit", "water_per_unit"]
    html = page(client, demo, "listed", "/dynamic/")
    assert "2025年度" in html
    html = page(client, demo, "province", f"/dynamic/rounds/{report.round_id}/")
    assert "太原太钢不锈钢精密带钢有限公司" in html and "单位产品综合能耗" in html
    assert "山西东湖老陈醋股份有限公司" in html  # yet to file
    page(client, demo, "city2", "/dynamic/removals/")


def test_assessor_registry_at_both_ends(client, demo):
    html = page(client, demo, "province", "/assessors/registry/")
    assert "山西清源绿色评价技术有限公司" in html and "华北绿色制造评价中心（北京）有限公司" in html
    assert "晋中恒信节能评估咨询有限公司" in page(client, demo, "province", "/assessors/blacklist/")
    html = page(client, demo, "assessor", "/assessors/")
    assert "已备案" in html or "准予备案" in html
    # The approved filing and the 2023 report count for the applications the assessor evaluates (2024 round).
    app = Application.objects.filter(engagements__assessor__name="山西清源绿色评价技术有限公司").first()
    assessor = gather([app])[app.pk]["assessor"]
    assert assessor["filed_in_applicant_province"] and assessor["filed_with"] == "山西省工业和信息化厅"
    evaluation = evaluate([app], force=True)[app.pk]
    outcomes = {f["rule"]: f["outcome"] for f in evaluation.findings}
    assert outcomes["ASSESSOR-FILED"] == "pass" and outcomes["ASSESSOR-ANNUAL-REPORT"] == "pass"


def test_stats_for_the_province(client, demo):
    html = page(client, demo, "province", "/stats/")
    assert "<svg" in html and "绿色工厂" in html
