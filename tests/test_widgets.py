"""PlainSelect renders exactly what Django's template-rendered Select does."""

import pytest
from django import forms

from greenmfg.widgets import PlainSelect

CHOICES = [
    ("", "全部地区"),
    (1, "太原市工业和信息化局"),
    (2, 'A&B <"引号">'),
    ("x y", "带空格的值"),
]


@pytest.mark.parametrize("value", [None, "", 1, "1", "x y", ["2"]])
@pytest.mark.parametrize("attrs", [None, {"id": "id_county", "class": "wide", "required": True, "disabled": False}])
def test_same_html_as_the_template_widget(value, attrs):
    plain = PlainSelect(choices=CHOICES).render("county", value, attrs=attrs)
    template = forms.Select(choices=CHOICES).render("county", value, attrs=attrs)
    assert str(plain) == str(template)
    assert "&amp;" in str(plain) and "&lt;" in str(plain)


def test_same_html_with_groups():
    grouped = [("", "全部"), ("山西", [(1, "太原"), (2, "大同")]), ("浙江", [(3, "杭州")])]
    assert str(PlainSelect(choices=grouped).render("g", 3)) == str(forms.Select(choices=grouped).render("g", 3))
    assert "selected>杭州" in str(PlainSelect(choices=grouped).render("g", 3))


def test_the_inbox_filter_renders_as_before(db):
    """The inbox form swaps its selects for PlainSelect; a ModelChoiceField's choices still come through."""
    from reviews.views_inbox import InboxFilterForm
    from tests.factories import authority, member

    ministry = authority("工信部（组件测试）", "110000", "ministry")
    province = authority("山西省（组件测试）", "140000", "province", ministry)
    authority("太原市（组件测试）", "140100", "city", province)
    form = InboxFilterForm({"category": "factory"}, user=member(province), authority=province)
    assert isinstance(form.fields["county"].widget, PlainSelect)
    html = str(form["county"])
    assert "太原市（组件测试）" in html and "山西省（组件测试）" in html and "全部地区" in html
    assert 'value="factory" selected' in str(form["category"])
