"""Import pages: who gets them (404 for others), the template download, an upload with bad rows and its result page,
the import history."""

import pytest

from listings.models import Listing, ListingImport
from tests.factories import credit_code, member
from tests.listing_helpers import read_xlsx, xlsx_upload

pytestmark = pytest.mark.django_db


def test_import_pages_are_404_for_counties_operators_applicants_and_departments(client, tree):
    for user in (tree.users["county"], member(tree.province, role="operator"), tree.users["ent"], tree.users["eco"]):
        client.force_login(user)
        assert client.get("/listings/import/").status_code == 404
        assert client.get("/listings/import/template/").status_code == 404
        assert client.post("/listings/import/", {"file": xlsx_upload([])}).status_code == 404


def test_template_download(client, tree):
    client.force_login(tree.users["city"])
    response = client.get("/listings/import/template/")
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    rows = read_xlsx(b"".join(response.streaming_content))
    assert rows[0][:5] == ["统一社会信用代码", "单位名称", "类别", "层级", "年度"]


def test_upload_with_bad_rows_shows_each_error_and_loads_the_good_rows(client, tree):
    client.force_login(tree.users["city"])
    page = client.get("/listings/import/").content.decode()
    assert "以<b>太原市工信局（测试）</b>名义导入，可导入市级名单" in page and "还没有导入过历史名单" in page
    good = credit_code("140105")
    rows = [
        [good, "太原历史名单企业", "绿色工厂", "市级", 2021, "2021-12-20", "并工信〔2021〕5号"],
        ["123", "坏代码企业", "绿色工厂", "市级", 2021],
        [credit_code("140105"), "省级名单企业", "绿色工厂", "省级", 2021],
    ]
    response = client.post("/listings/import/", {"file": xlsx_upload(rows)}, follow=True)
    html = response.content.decode()
    batch = ListingImport.objects.get()
    assert response.redirect_chain[-1][0] == f"/listings/import/{batch.pk}/"
    assert "已导入1条，已在名单中跳过0条，2行有错误未导入" in html
    assert '<td class="nowrap">第3行</td><td class="nowrap">统一社会信用代码</td>' in html
    assert "统一社会信用代码应为18位，当前为3位" in html
    assert '<td class="nowrap">第4行</td><td class="nowrap">层级</td>' in html
    assert "太原市工信局（测试）只能导入市级名单，不能导入省级名单。" in html
    assert "太原历史名单企业（企业，" in html  # created unit
    entry = Listing.objects.get()
    assert (entry.authority, entry.reference, entry.import_batch) == (tree.city, "并工信〔2021〕5号", batch)

    again = client.post("/listings/import/", {"file": xlsx_upload(rows[:1])}, follow=True).content.decode()
    assert "已导入0条，已在名单中跳过1条。" in again
    assert Listing.objects.count() == 1
    history = client.get("/listings/import/").content.decode()
    assert history.count('href="/listings/import/') >= 2

    # The entry page links back to its batch.
    detail = client.get(f"/listings/{entry.pk}/").content.decode()
    assert f'href="/listings/import/{batch.pk}/"' in detail


def test_a_file_that_is_not_xlsx_is_refused_with_the_reason(client, tree):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(tree.users["province"])
    fake = SimpleUploadedFile("名单.xlsx", "统一社会信用代码,单位名称\n".encode())
    response = client.post("/listings/import/", {"file": fake})
    assert response.status_code == 400
    assert "无法识别或已损坏" in response.content.decode()
    assert ListingImport.objects.count() == 0


def test_import_detail_is_404_for_another_city(client, tree):
    client.force_login(tree.users["city"])
    client.post(
        "/listings/import/", {"file": xlsx_upload([[credit_code("140105"), "某企业", "绿色工厂", "市级", 2021]])}
    )
    batch = ListingImport.objects.get()
    client.force_login(tree.users["other_city"])
    assert client.get(f"/listings/import/{batch.pk}/").status_code == 404
    client.force_login(tree.users["province"])
    assert client.get(f"/listings/import/{batch.pk}/").status_code == 200


def test_a_superuser_chooses_the_importing_authority(client, tree, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.test", "x-unused-password-1")
    client.force_login(root)
    page = client.get("/listings/import/").content.decode()
    assert 'name="authority"' in page and tree.county.name not in page  # counties do not import
    response = client.post(
        "/listings/import/",
        {
            "file": xlsx_upload([[tree.other_ent.credit_code, "平城测试企业有限公司", "绿色工厂", "国家级", 2020]]),
            "authority": tree.ministry.pk,
        },
    )
    assert response.status_code == 302
    assert Listing.objects.get().authority == tree.ministry


def test_import_follows_the_role_the_user_acts_in(client, tree):
    from organizations.models import Membership
    from organizations.services import membership_add

    user = tree.users["ent"]
    membership_add(actor=None, user=user, organization=tree.province, role="admin")
    client.force_login(user)
    assert client.get("/listings/import/").status_code == 404  # acting for the enterprise (its first membership)
    assert "导入历史名单" not in client.get("/listings/").content.decode()
    session = client.session
    session["acting_role"] = f"m{Membership.objects.get(user=user, organization=tree.province).pk}"
    session.save()
    assert "以<b>山西省工信厅（测试）</b>名义导入" in client.get("/listings/import/").content.decode()
