"""An enterprise and a park apply in the browser under the demo's open 太原 notice: start, fill in the category
form, answer the negative list, sign, upload the required PDFs, submit; the application lands at the right
authority. Screenshots of the edit and detail pages go to test-artifacts/screenshots."""

import pytest
from django.db.models import Q

from applications.models import Application, Declaration, MaterialFile, NegativeItem, State
from tests.application_helpers import PDF_BYTES
from tests.browser.conftest import screenshot
from tests.browser.test_login_dashboards import login

pytestmark = pytest.mark.browser

ENTERPRISE = "山西晋阳精密机械有限公司"
PARK = "太原不锈钢产业园区管理委员会"
FACTORY_FORM = {
    "industry_code": "C3311",
    "industry_name": "金属结构制造",
    "evaluation_standard": "GB/T 36132-2018 绿色工厂评价通则",
    "key_energy_industry": "False",
    "energy_efficiency_level": "advanced",
    "key_water_user": "False",
    "chain_leader": "True",
    "self_score": "86.5",
}
PARK_FORM = {
    "park_level": "provincial",
    "main_function": "True",
    "value_added_share": "62.5",
    "legal_boundary": "True",
    "unified_management": "True",
    "green_factory_count": "7",
    "green_factory_share": "18",
    "self_score": "80",
}


@pytest.fixture
def media(settings, tmp_path):
    """Uploads land in a temporary directory, not in the working tree's var/media."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }
    return tmp_path


def click(page, locator):
    locator.click()
    page.wait_for_load_state("networkidle")


def fill_form(page, values: dict):
    for name, value in values.items():
        field = page.locator(f'[name="{name}"]')
        if field.evaluate("el => el.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)


def apply(page, base, *, category_label, form, wrong, pdf_dir, applicant_name, shot=None) -> Application:
    """From 我的申报 to a submitted application, the way a user clicks through it."""
    click(page, page.locator("nav.mainnav").get_by_role("link", name="我的申报"))
    click(page, page.get_by_role("link", name="开始申报"))
    click(page, page.get_by_role("link", name=f"申报{category_label}").first)
    page.get_by_label("自评价", exact=True).check()
    if shot:
        screenshot(page, f"{shot}-start")
    click(page, page.get_by_role("button", name="创建申报草稿"))
    application = Application.objects.get(applicant__name=applicant_name, state=State.DRAFT)
    assert page.url == f"{base}/applications/{application.pk}/edit/"

    # The category form: a wrong value is refused by the server on “保存草稿” (which skips the browser's check).
    fill_form(page, form)
    name, value, message = wrong
    page.locator(f'[name="{name}"]').fill(value)
    click(page, page.get_by_role("button", name="保存草稿"))
    assert message in page.locator(f'[data-field="{name}"] .errorlist').inner_text()
    application.refresh_from_db()
    assert application.data == {}
    if shot:
        screenshot(page, f"{shot}-edit-error")
    page.locator(f'[name="{name}"]').fill(form[name])
    if shot:
        screenshot(page, f"{shot}-edit")
    click(page, page.get_by_role("button", name="保存并检查"))
    assert "申报信息填写完整" in page.locator(".messages").inner_text()
    assert page.url == f"{base}/applications/{application.pk}/"

    # Declarations and commitment.
    click(page, page.locator(".todo").get_by_role("link", name="负面清单声明与承诺"))
    for code in NegativeItem.values:
        page.locator(f'input[name="occurred_{code}"][value="False"]').check()
    if shot:
        screenshot(page, f"{shot}-declarations")
    click(page, page.get_by_role("button", name="保存声明"))
    assert "已保存负面清单声明（9项）" in page.locator(".messages").inner_text()
    page.get_by_label("承诺人（法定代表人或授权代表）").fill("王建国")
    page.get_by_label("本单位承诺以上声明真实").check()
    click(page, page.get_by_role("button", name="签署承诺书"))
    assert "已签署承诺书" in page.locator(".messages").inner_text()

    if shot:
        screenshot(page, f"{shot}-draft-detail")  # what is still missing, submit blocked

    # The required materials, real PDFs from disk.
    required = application.notice.categories.get(category=application.category).materials.filter(required=True)
    for material in required:
        path = pdf_dir / f"{material.name[:20]}.pdf"
        path.write_bytes(PDF_BYTES)
        page.set_input_files(f"#file-{material.pk}", str(path))
        click(page, page.locator(f"#material-{material.pk}").get_by_role("button", name="上传", exact=True))
        assert f"已上传“{material.name}”第1版" in page.locator(".messages").inner_text()
    assert MaterialFile.objects.filter(application=application).count() == required.count()
    assert Declaration.objects.filter(application=application, occurred=False).count() == 9
    assert "可以提交" in page.locator(".todo").inner_text()

    click(page, page.locator("#actions").get_by_role("button", name="提交", exact=True))
    application.refresh_from_db()
    assert application.state == State.UNDER_REVIEW
    return application


def test_enterprise_and_park_apply_and_submit_in_the_browser(media, live_demo, page, tmp_path_factory):
    base = live_demo.url
    pdf_dir = tmp_path_factory.mktemp("uploads")
    # The demo already holds a submitted application for each of these two; this test walks the path afresh.
    from reviews.models import BatchItem

    fresh = Application.objects.filter(
        Q(applicant__name=ENTERPRISE, category="factory") | Q(applicant__name=PARK, category="park")
    )
    BatchItem.objects.filter(application__in=fresh).delete()  # the park went up in 太原's demo batch
    fresh.delete()

    login(page, base, "enterprise")
    application = apply(
        page,
        base,
        category_label="绿色工厂",
        form=FACTORY_FORM,
        wrong=("industry_code", "ABC", "行业代码应为 GB/T 4754 国民经济行业分类代码"),
        pdf_dir=pdf_dir,
        applicant_name=ENTERPRISE,
        shot="application-factory",
    )
    assert page.locator(".page-head .tag.state").inner_text() == "审核中"
    summary = page.locator(".summary").inner_text()
    assert "当前办理单位\n太原市小店区工业和信息化局" in summary
    assert application.holder.name == "太原市小店区工业和信息化局"
    assert "已提交，现由太原市小店区工业和信息化局审核" in page.locator(".messages").inner_text()
    # The trail: one section per authority reached, its events folded until opened.
    for folded in page.locator("#history details").all():
        folded.locator("summary").first.click()
    history = page.locator("#history").inner_text()
    assert "1. 太原市小店区工业和信息化局" in history and "草稿 → 审核中" in history
    assert page.locator("#actions").get_by_role("button", name="撤回").is_visible()
    assert page.locator(".todo").count() == 0  # nothing left to fix while under review
    screenshot(page, "application-factory-detail")

    # The county finds it in its list; its detail page offers the county's own decisions.
    page.context.clear_cookies()
    login(page, base, "county")
    click(page, page.locator("nav.mainnav").get_by_role("link", name="申报", exact=True))
    page.get_by_label("状态").select_option("under_review")
    click(page, page.get_by_role("button", name="查询"))
    assert ENTERPRISE in page.locator("table.applications").inner_text()
    screenshot(page, "application-list-county")
    click(page, page.get_by_role("link", name=ENTERPRISE).first)
    assert page.locator("#actions").get_by_label("退回修改理由").is_visible()
    assert page.locator(".todo").count() == 0 and page.locator(".upload-form").count() == 0

    page.context.clear_cookies()
    login(page, base, "park")
    application = apply(
        page,
        base,
        category_label="绿色工业园区",
        form=PARK_FORM,
        wrong=("value_added_share", "120", "100"),
        pdf_dir=pdf_dir,
        applicant_name=PARK,
        shot="application-park",
    )
    assert page.locator(".page-head .tag.state").inner_text() == "审核中"
    assert "当前办理单位\n太原市工业和信息化局" in page.locator(".summary").inner_text()
    assert application.holder.name == "太原市工业和信息化局"
    screenshot(page, "application-park-detail")

    assert not any(p for p in media.rglob("*") if p.is_file() and p.suffix != ".pdf")
    assert page.console_errors == []
    assert page.outside_requests == []
