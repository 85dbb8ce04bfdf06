"""The structured data each category asks for, as Django forms: one definition serves the web form, the API,
completeness checks and the facts the eligibility engine reads.

Sources: 000/001/004 (factory standards, energy benchmark, park conditions, supply-chain conditions),
003 (water saving, national green factory), 002 (green design products).
"""

from django import forms
from django.core.validators import RegexValidator

from notices.models import Category

GENERAL_FACTORY_STANDARD = "GB/T 36132-2018 绿色工厂评价通则"
INDUSTRY_CODE = RegexValidator(r"^[A-T]?\d{2,4}$", "行业代码应为 GB/T 4754 国民经济行业分类代码，如 C3311 或 3311。")
PRODUCT_STANDARDS = [
    "GB/T 32161-2015 生态设计产品评价通则",
    "T/CAGP 0001-2016 绿色设计产品评价技术规范 房间空气调节器",
    "T/CAGP 0002-2016 绿色设计产品评价技术规范 电动洗衣机",
    "T/CAGP 0003-2016 绿色设计产品评价技术规范 家用电冰箱",
    "T/CAGP 0030-2018 绿色设计产品评价技术规范 钢塑复合管",
    "T/CNIA 0004-2018 绿色设计产品评价技术规范 稀土钢",
]
YES_NO = [(True, "是"), (False, "否")]


def yes_no(label, help_text=""):
    return forms.TypedChoiceField(
        label=label,
        choices=[("", "请选择"), *YES_NO],
        coerce=lambda v: v in (True, "True", "true", "1", 1),
        empty_value=None,
        required=False,
        help_text=help_text,
    )


def score(label):
    return forms.DecimalField(label=label, min_value=0, max_value=100, decimal_places=1, required=False)


class CategoryForm(forms.Form):
    """Every field is optional while drafting; REQUIRED names what submitting needs."""

    REQUIRED: tuple[str, ...] = ()

    def missing(self, data: dict) -> list[str]:
        return [str(self.base_fields[name].label) for name in self.REQUIRED if data.get(name) in (None, "")]


class FactoryForm(CategoryForm):
    industry_code = forms.CharField(
        label="行业代码（GB/T 4754）", max_length=5, required=False, validators=[INDUSTRY_CODE]
    )
    industry_name = forms.CharField(label="行业名称", max_length=64, required=False)
    evaluation_standard = forms.CharField(
        label="评价标准",
        max_length=128,
        required=False,
        help_text=f"已发布行业标准的填写行业标准名称，其他行业填写“{GENERAL_FACTORY_STANDARD}”",
    )
    key_energy_industry = yes_no("是否重点用能行业")
    energy_efficiency_level = forms.ChoiceField(
        label="能效水平",
        required=False,
        choices=[
            ("", "请选择"),
            ("benchmark", "达到标杆水平"),
            ("advanced", "达到能耗限额先进值或1级"),
            ("above_baseline", "基准水平以上"),
            ("none", "未达到或未评估"),
        ],
    )
    key_water_user = yes_no("是否重点用水企业")
    water_saving_enterprise = yes_no("是否节水型企业")
    chain_leader = yes_no("是否产业链链主企业")
    little_giant = yes_no("是否专精特新“小巨人”企业")
    town_leader = yes_no("是否省级专业镇龙头企业")
    self_score = score("自评价得分")

    REQUIRED = (
        "industry_code",
        "industry_name",
        "evaluation_standard",
        "key_energy_industry",
        "energy_efficiency_level",
        "key_water_user",
        "self_score",
    )


class ParkForm(CategoryForm):
    park_level = forms.ChoiceField(
        label="园区级别",
        required=False,
        choices=[("", "请选择"), ("national", "国家级"), ("provincial", "省级"), ("other", "其他")],
    )
    main_function = yes_no("是否以产品制造和能源供给为主要功能")
    value_added_share = forms.DecimalField(
        label="工业增加值占比（%）", min_value=0, max_value=100, decimal_places=2, required=False
    )
    legal_boundary = yes_no("是否具有法定边界和范围")
    unified_management = yes_no("是否具备统一管理机构")
    green_factory_count = forms.IntegerField(label="园区内绿色工厂数量", min_value=0, required=False)
    green_factory_share = forms.DecimalField(
        label="绿色工厂占园区企业比例（%）", min_value=0, max_value=100, decimal_places=2, required=False
    )
    low_carbon_pilot = yes_no("是否国家低碳工业园区试点")
    water_saving_park = yes_no("是否节水型园区")
    member_credit_codes = forms.CharField(
        label="园区内企业统一社会信用代码（每行一个）",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="负面清单同样适用于园区内企业（004），系统据此核对信用记录",
    )
    self_score = score("自评价得分")

    def clean_member_credit_codes(self):
        from organizations.credit_code import check_credit_code

        codes, errors = [], []
        for line_no, line in enumerate((self.cleaned_data.get("member_credit_codes") or "").splitlines(), start=1):
            if not line.strip():
                continue
            check = check_credit_code(line)
            if check.errors:
                errors.append(f"第{line_no}行：{check.errors[0]}")
            codes.append(check.value)
        if errors:
            raise forms.ValidationError(errors)
        return "\n".join(dict.fromkeys(codes))

    REQUIRED = (
        "park_level",
        "main_function",
        "value_added_share",
        "legal_boundary",
        "unified_management",
        "green_factory_count",
        "self_score",
    )


class SupplyChainForm(CategoryForm):
    industry_code = forms.CharField(
        label="行业代码（GB/T 4754）", max_length=5, required=False, validators=[INDUSTRY_CODE]
    )
    industry_name = forms.CharField(label="行业名称", max_length=64, required=False)
    chain_leader = yes_no("是否产业链链主（龙头）企业")
    independent_legal_person = yes_no("是否独立法人或视同法人单位")
    green_supplier_count = forms.IntegerField(label="供应商中绿色工厂数量", min_value=0, required=False)
    epr_pilot = yes_no("是否汽车产品生产者责任延伸试点企业")
    national_green_factory = yes_no("是否已是国家级绿色工厂")
    self_score = score("自评价得分")

    REQUIRED = (
        "industry_code",
        "industry_name",
        "chain_leader",
        "independent_legal_person",
        "green_supplier_count",
        "self_score",
    )


class ProductForm(CategoryForm):
    product_name = forms.CharField(label="产品名称", max_length=128, required=False)
    product_standard = forms.ChoiceField(
        label="评价标准（已发布的绿色设计产品评价标准清单）",
        required=False,
        choices=[("", "请选择"), *[(s, s) for s in PRODUCT_STANDARDS]],
    )
    self_score = score("自评价得分")

    REQUIRED = ("product_name", "product_standard", "self_score")


FORMS: dict[str, type[CategoryForm]] = {
    Category.FACTORY: FactoryForm,
    Category.PARK: ParkForm,
    Category.SUPPLY_CHAIN: SupplyChainForm,
    Category.PRODUCT: ProductForm,
}

# Which applicant kinds may apply for which categories.
CATEGORIES_FOR_KIND = {
    "enterprise": (Category.FACTORY, Category.SUPPLY_CHAIN, Category.PRODUCT),
    "park": (Category.PARK,),
}


def clean_category_data(category: str, data: dict) -> dict:
    """Validate and normalise category data to JSON-friendly values; raises ValidationError with field errors."""
    from django.core.exceptions import ValidationError

    form = FORMS[category](data={k: ("" if v is None else v) for k, v in (data or {}).items()})
    if not form.is_valid():
        raise ValidationError({name: list(errors) for name, errors in form.errors.items()})
    cleaned = {}
    for name, value in form.cleaned_data.items():
        if name not in data:
            continue
        if value in ("", None):
            cleaned[name] = None
        elif hasattr(value, "as_tuple"):  # Decimal
            cleaned[name] = float(value)
        else:
            cleaned[name] = value
    return cleaned
