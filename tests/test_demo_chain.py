"""The demo holds the review chain's work at every level, so each demo login has something real waiting."""

import re

from applications.models import Application, State
from listings.models import Listing
from reviews.models import Assignment, Batch, ConsultationReply, Objection, Publicity


def dashboard(client, user, password) -> str:
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username=user))
    return client.get("/dashboard/").content.decode()


def test_every_level_has_work_waiting(client, demo):
    o, pw = demo.orgs, demo.password
    held = {
        name: sorted(
            Application.objects.filter(holder__name=name, state=State.UNDER_REVIEW).values_list(
                "applicant__name", flat=True
            )
        )
        for name in ("太原市小店区工业和信息化局", "太原市工业和信息化局", "山西省工业和信息化厅")
    }
    assert held == {
        "太原市小店区工业和信息化局": ["山西晋阳精密机械有限公司", "山西龙城环保装备股份有限公司"],
        "太原市工业和信息化局": ["太原汾河新材料科技有限公司"],
        "山西省工业和信息化厅": ["太原不锈钢产业园区管理委员会", "山西综改区光电科技有限公司"],
    }
    pending = ConsultationReply.objects.filter(opinion="pending").values_list("department__name", flat=True)
    assert sorted(pending) == sorted(["太原市小店区应急管理局", "太原市小店区市场监督管理局", "太原市市场监督管理局"])
    assert "待反馈 1 项" in dashboard(client, "county-safety", pw)
    assert "山西晋阳精密机械有限公司" in dashboard(client, "county-safety", pw)
    assert Batch.objects.get(authority=o["太原经济技术开发区经济发展局"]).state == Batch.State.DRAFT
    assert "待评分 1 项" in dashboard(client, "expert", pw)
    assert Assignment.objects.filter(expert__user__username="expert2", status="submitted").count() == 1
    current = Publicity.objects.get(state=Publicity.State.PUBLISHED)
    assert Objection.objects.get(publicity=current).status == Objection.Status.OPEN
    assert list(Listing.objects.filter(source="review").values_list("name", "level", "status")) == [
        ("大同云冈新能源装备有限公司", "national", "active")
    ]
    ministry = dashboard(client, "ministry", pw)
    assert "2024年度绿色制造名单公示（第二批）" in ministry
    public = client.get(f"/publicity/{current.pk}/").content.decode()
    assert "大同平城汽车零部件有限公司" in public and "大同同煤机械制造有限公司" in public


def test_the_ministry_dashboard_counts_each_objection_once(client, demo):
    html = dashboard(client, "ministry", demo.password)
    row = html[html.index("2024年度绿色制造名单公示（第二批）") :]
    row = row[: row.index("</tr>")]
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row + "</tr>")]
    assert cells[-3:] == ["2", "1", "公示中"]  # two entries, one open objection
    assert "已推荐待公示" in html and "未报送的推荐批次" not in html
