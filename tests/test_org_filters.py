import pytest


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (
            {"region": "140100"},
            {"太原市工信局（测试）", "小店区工信局（测试）", "小店测试企业有限公司", "小店区生态环境（测试）"},
        ),
        ({"region": "140105", "kind": "enterprise"}, {"小店测试企业有限公司"}),
        ({"q": "平城"}, {"平城区工信局（测试）", "平城测试企业有限公司", "平城区生态环境（测试）"}),
        ({"level": "city"}, {"太原市工信局（测试）", "大同市工信局（测试）"}),
        ({"kind": "department", "region": "140200"}, {"平城区生态环境（测试）"}),
    ],
)
def test_filters_narrow_the_province_view_in_page_and_api(client, tree, params, expected):
    client.force_login(tree.users["province"])
    api = client.get("/api/v1/organizations/", params).json()
    assert {row["name"] for row in api["results"]} == expected
    page = client.get("/organizations/", params).content.decode()
    for name in expected:
        assert name in page
    assert api["count"] == len(expected)


def test_search_by_credit_code_is_case_insensitive(client, tree):
    client.force_login(tree.users["county"])
    api = client.get("/api/v1/organizations/", {"q": tree.ent.credit_code[-6:].lower()}).json()
    assert [row["name"] for row in api["results"]] == ["小店测试企业有限公司"]


def test_empty_result_says_so(client, tree):
    client.force_login(tree.users["county"])
    page = client.get("/organizations/", {"q": "不存在的单位"}).content.decode()
    assert "没有符合条件的组织机构" in page


def test_audit_list_filters_by_verb(client, tree):
    client.force_login(tree.users["county"])
    page = client.get("/activity/", {"verb": "organization.create"}).content.decode()
    assert "创建组织机构" in page and "添加成员</td>" not in page
    assert '<option value="organization.create" selected>' in page
