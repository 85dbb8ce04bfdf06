"""The rule catalogue: stable codes, Chinese titles, kinds, parameters, sources, and pure evaluate functions.

A rule sees only `facts` (a JSON-ready dict built by eligibility.facts) and its parameters, and returns an Outcome.
Sources cite the seed notices: 000 太原/山西 2024, 001 工信部 2023, 002 工信部 2022, 003 内蒙古 2025, 004 吉林 2024.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from greenmfg.dates import years_after, years_before

HARD, PRIORITY, ADVISORY = "hard", "priority", "advisory"
KINDS = {HARD: "硬性条件", PRIORITY: "优先条件", ADVISORY: "提示"}
PASS, FAIL, WARN, NEEDS_EVIDENCE, NOT_APPLICABLE = "pass", "fail", "warn", "needs_evidence", "not_applicable"
OUTCOMES = {PASS: "符合", FAIL: "不符合", WARN: "提示", NEEDS_EVIDENCE: "待补充证据", NOT_APPLICABLE: "不适用"}
ALL = ("factory", "park", "supply_chain", "product")
ENTERPRISE = ("factory", "supply_chain", "product")


@dataclass(frozen=True)
class Param:
    name: str
    label: str
    type: str  # int / float / bool / choice
    default: object
    choices: tuple = ()


@dataclass(frozen=True)
class Outcome:
    outcome: str
    message: str
    evidence: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Rule:
    code: str
    title: str
    kind: str
    categories: tuple[str, ...]
    source: str
    evaluate: Callable[[dict, dict], Outcome]
    params: tuple[Param, ...] = ()

    def defaults(self) -> dict:
        return {p.name: p.default for p in self.params}


RULES: dict[str, Rule] = {}


def rule(code, title, kind, categories, source, params=()):
    def register(fn):
        RULES[code] = Rule(code, title, kind, tuple(categories), source, fn, tuple(params))
        return fn

    return register


def _date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def data(facts) -> dict:
    return facts["application"].get("data") or {}


# The negative list (近三年), 000/001/002/004; 004 §一 gives the details and extends it to a park's enterprises.

WINDOW = Param("window_years", "回溯年数", "int", 3)
NEGATIVE = {
    "NEG-OPERATION": ("未正常经营生产", ("deregistered", "abnormal_operation"), "004 §一；市场监管部门"),
    "NEG-SAFETY": ("发生安全事故（含网络安全、数据安全）", ("safety_accident",), "000/001/004 §一；应急管理部门"),
    "NEG-QUALITY": ("发生质量事故", ("quality_accident",), "000/001/004 §一；市场监管部门"),
    "NEG-ENVIRONMENT": ("发生环境污染事故", ("environment_accident",), "000/001/004 §一；生态环境部门"),
    "NEG-TAX": ("偷漏税等违法违规行为", ("tax_violation",), "001/004 §一；信用中国、国家企业信用信息公示系统"),
    "NEG-REMOVED": ("被动态调整出绿色制造名单", ("green_list_removed",), "000/001/004 §一；本系统名单记录"),
    "NEG-INSPECTION": ("督查工作中被发现存在严重问题", ("inspection",), "000/001/004 §一"),
    "NEG-RECTIFICATION": ("列入工业节能监察整改名单且未完成整改", ("rectification",), "000/001/004 §一"),
    "NEG-DISHONEST": ("被列为失信被执行人", ("dishonest",), "000/004 §一"),
}
# Kinds that are a standing listing: a rectification/removal lifts the record; until then it is in effect, so a
# listing made before the window still counts (004 §一: 列入经营异常名单且未被移出, 未按要求完成整改, 失信被执行人).
LIFTED_BY_RECTIFICATION = {"abnormal_operation", "rectification", "dishonest"}


def negative_rule(code, title, kinds, source):
    def evaluate(facts, params):
        ref = _date(facts["reference_date"])
        since = years_before(ref, int(params["window_years"]))
        hits = []
        for rec in facts.get("records", []):
            if rec["kind"] not in kinds:
                continue
            if rec["kind"] in LIFTED_BY_RECTIFICATION:
                if not rec.get("rectified"):
                    hits.append(rec)  # still listed, hence within the window whenever it began
            elif _date(rec["occurred_on"]) >= since:
                hits.append(rec)
        declared = facts.get("declarations", {}).get(code)
        evidence = {
            "window_since": since.isoformat(),
            "declared": declared,
            "records": [{k: r[k] for k in ("kind", "credit_code", "occurred_on", "source")} for r in hits],
        }
        if hits:
            own = facts["applicant"]["credit_code"]
            who = "申报单位" if any(r["credit_code"] == own for r in hits) else "园区内企业"
            first = hits[0]
            return Outcome(
                FAIL,
                f"{who}近{params['window_years']}年有“{title}”记录（{first['occurred_on']}，"
                f"{first['source']}），不得申报。",
                evidence,
            )
        if declared is True:
            return Outcome(FAIL, f"申报单位声明近{params['window_years']}年存在“{title}”情形，不得申报。", evidence)
        if declared is None:
            return Outcome(NEEDS_EVIDENCE, f"尚未就“{title}”作出声明。", evidence)
        return Outcome(PASS, f"自{since.isoformat()}以来无“{title}”记录，且申报单位声明无此情形。", evidence)

    rule(code, title, HARD, ALL, source, params=(WINDOW,))(evaluate)


for _code, (_title, _kinds, _source) in NEGATIVE.items():
    negative_rule(_code, _title, _kinds, _source)


def _flag(facts, name):
    return data(facts).get(name)


def _yes_rule(code, title, name, category, source, kind=HARD, yes="符合", no="不符合"):
    def evaluate(facts, params):
        value = _flag(facts, name)
        evidence = {name: value}
        if value is None:
            return Outcome(NEEDS_EVIDENCE, f"未填写“{title}”。", evidence)
        return Outcome(PASS, f"{title}：{yes}。", evidence) if value else Outcome(FAIL, f"{title}：{no}。", evidence)

    rule(code, title, kind, (category,), source)(evaluate)


# 绿色工业园区 (hard), 000 §二(二), 001 §二(二), 004 §二(二).
_yes_rule("PARK-FUNCTION", "以产品制造和能源供给为主要功能", "main_function", "park", "000 §二（二）；004 §二（二）")
_yes_rule("PARK-BOUNDARY", "具有法定边界和范围", "legal_boundary", "park", "000 §二（二）；004 §二（二）")
_yes_rule("PARK-MANAGEMENT", "具备统一管理机构", "unified_management", "park", "000 §二（二）；004 §二（二）")


@rule(
    "PARK-VALUE-ADDED",
    "工业增加值占比超过规定比例",
    HARD,
    ("park",),
    "000 §二（二）；004 §二（二）",
    params=(Param("min_share", "工业增加值占比下限（%，须超过）", "float", 50.0),),
)
def park_value_added(facts, params):
    share = _flag(facts, "value_added_share")
    evidence = {"value_added_share": share, "min_share": params["min_share"]}
    if share is None:
        return Outcome(NEEDS_EVIDENCE, "未填写工业增加值占比。", evidence)
    if float(share) > float(params["min_share"]):
        return Outcome(PASS, f"工业增加值占比{share}%，超过{params['min_share']}%。", evidence)
    return Outcome(FAIL, f"工业增加值占比{share}%，未超过{params['min_share']}%。", evidence)


PARK_LEVELS = {"national": 3, "provincial": 2, "other": 1}


@rule(
    "PARK-LEVEL",
    "省级及以上工业园区",
    HARD,
    ("park",),
    "000 §二（二）；004 §二（二）",
    params=(
        Param("min_level", "最低园区级别", "choice", "provincial", (("provincial", "省级"), ("national", "国家级"))),
    ),
)
def park_level(facts, params):
    level = _flag(facts, "park_level")
    evidence = {"park_level": level, "min_level": params["min_level"]}
    if level is None:
        return Outcome(NEEDS_EVIDENCE, "未填写园区级别。", evidence)
    if PARK_LEVELS.get(level, 0) >= PARK_LEVELS[params["min_level"]]:
        return Outcome(PASS, "园区级别符合要求。", evidence)
    return Outcome(FAIL, "园区级别低于省级，不符合推荐条件。", evidence)


# 绿色工厂, 000 §二(一), 004 §二(一); 002 made the benchmark hard "in principle".


@rule("FACTORY-STANDARD", "按行业标准或 GB/T 36132-2018 评价", HARD, ("factory",), "000 §二（一）；004 §二（一）")
def factory_standard(facts, params):
    standard = (_flag(facts, "evaluation_standard") or "").strip()
    if not standard:
        return Outcome(NEEDS_EVIDENCE, "未填写评价依据的标准。", {"evaluation_standard": None})
    return Outcome(PASS, f"按“{standard}”评价。", {"evaluation_standard": standard})


@rule(
    "FACTORY-ENERGY-BENCHMARK",
    "能效达到标杆水平（重点用能行业）或先进值/1级",
    PRIORITY,
    ("factory",),
    "000 §二（一）；004 §二（一）；002（原则上须达到标杆水平）",
)
def factory_energy(facts, params):
    key = _flag(facts, "key_energy_industry")
    level = _flag(facts, "energy_efficiency_level")
    evidence = {"key_energy_industry": key, "energy_efficiency_level": level}
    if level is None or key is None:
        return Outcome(NEEDS_EVIDENCE, "未填写是否重点用能行业或能效水平。", evidence)
    if key and level == "benchmark":
        return Outcome(PASS, "重点用能行业，能效达到标杆水平。", evidence)
    if not key and level in ("benchmark", "advanced"):
        return Outcome(PASS, "能效达到能耗限额先进值或1级。", evidence)
    wanted = "标杆水平" if key else "能耗限额先进值或1级"
    return Outcome(FAIL, f"能效未达到{wanted}。", evidence)


# 绿色供应链管理企业, 000 §二(三), 004 §二(三); 003: should already be a national green factory.
_yes_rule(
    "SUPPLY-CHAIN-LEADER", "产业链链主（龙头）企业", "chain_leader", "supply_chain", "000 §二（三）；004 §二（三）"
)
_yes_rule(
    "SUPPLY-CHAIN-LEGAL-PERSON", "独立法人或视同法人单位", "independent_legal_person", "supply_chain", "004 §二（三）"
)
_yes_rule(
    "SUPPLY-CHAIN-NATIONAL-FACTORY",
    "已是国家级绿色工厂",
    "national_green_factory",
    "supply_chain",
    "003",
    kind=ADVISORY,
)


@rule("WATER-SAVING", "重点用水企业为节水型企业、园区为节水型园区", ADVISORY, ("factory", "park"), "003")
def water_saving(facts, params):
    d = data(facts)
    if facts["application"]["category"] == "park":
        value = d.get("water_saving_park")
        if value is None:
            return Outcome(NEEDS_EVIDENCE, "未填写是否节水型园区。", {"water_saving_park": None})
        return (
            Outcome(PASS, "节水型园区。", {"water_saving_park": True})
            if value
            else Outcome(FAIL, "园区不是节水型园区。", {"water_saving_park": False})
        )
    key, saving = d.get("key_water_user"), d.get("water_saving_enterprise")
    evidence = {"key_water_user": key, "water_saving_enterprise": saving}
    if key is None:
        return Outcome(NEEDS_EVIDENCE, "未填写是否重点用水企业。", evidence)
    if not key:
        return Outcome(NOT_APPLICABLE, "不是重点用水企业。", evidence)
    if saving is None:
        return Outcome(NEEDS_EVIDENCE, "重点用水企业，未填写是否节水型企业。", evidence)
    return (
        Outcome(PASS, "重点用水企业，已是节水型企业。", evidence)
        if saving
        else Outcome(FAIL, "重点用水企业尚未成为节水型企业。", evidence)
    )


# List membership: 001 in principle on the provincial list; 004 must be provincial; 003 region-level: city list.

LEVEL_LABELS = {"city": "市级", "province": "省级", "national": "国家级"}


def _listed(facts, level, category):
    return [
        r
        for r in facts.get("records", [])
        if r["kind"] == "green_list"
        and r["credit_code"] == facts["applicant"]["credit_code"]
        and r.get("level") == level
        and r.get("category") == category
    ]


@rule(
    "LIST-PREREQUISITE",
    "已列入下一级绿色制造名单",
    ADVISORY,
    ALL,
    "001 §一；004 §一；003",
    params=(
        Param("required_level", "须已列入的名单层级", "choice", "province", (("city", "市级"), ("province", "省级"))),
    ),
)
def list_prerequisite(facts, params):
    level, category = params["required_level"], facts["application"]["category"]
    hits = _listed(facts, level, category)
    evidence = {"required_level": level, "entries": [r["occurred_on"] for r in hits]}
    if hits:
        return Outcome(PASS, f"已列入{LEVEL_LABELS[level]}绿色制造名单（{hits[0]['occurred_on']}）。", evidence)
    return Outcome(FAIL, f"未列入{LEVEL_LABELS[level]}同类别绿色制造名单。", evidence)


@rule("LIST-REPEAT", "未以同一类别列入本级名单", HARD, ALL, "DOMAIN：已列入同级同类别名单的不得重复申报")
def list_repeat(facts, params):
    level, category = facts["notice"]["list_level"], facts["application"]["category"]
    hits = _listed(facts, level, category)
    evidence = {"level": level, "entries": [r["occurred_on"] for r in hits]}
    if hits:
        return Outcome(
            FAIL,
            f"已于{hits[0]['occurred_on']}列入{LEVEL_LABELS.get(level, level)}同类别名单，不得重复申报。",
            evidence,
        )
    return Outcome(PASS, "未列入本级同类别名单。", evidence)


@rule("QUOTA", "推荐名额", ADVISORY, ALL, "001 §三；002（园区每地区不超过3家）")
def quota(facts, params):
    q = facts.get("quota")
    if not q or q.get("limit") is None:
        return Outcome(NOT_APPLICABLE, "未设推荐名额。", {})
    evidence = dict(q)
    if q["used"] > q["limit"]:
        return Outcome(
            FAIL,
            f"{q['authority']}该类别名额{q['limit']}个，含本申报已有{q['used']}家在推荐流程中，超出名额。",
            evidence,
        )
    return Outcome(PASS, f"{q['authority']}该类别名额{q['limit']}个，含本申报共{q['used']}家。", evidence)


# Third-party assessors: 001/002/003/004.


def _assessor(facts):
    return facts.get("assessor") if facts["application"]["evaluation_mode"] == "third_party" else None


def _without_assessor(facts) -> Outcome:
    if facts["application"]["evaluation_mode"] == "third_party":
        return Outcome(NEEDS_EVIDENCE, "第三方评价，尚未委托评价机构。", {})
    return Outcome(NOT_APPLICABLE, "自评价，不涉及第三方机构。", {})


@rule(
    "ASSESSOR-CAP",
    "第三方机构评价项目数上限",
    HARD,
    ALL,
    "002 §三（含关联单位）；001；某市2025（按法定代表人）",
    params=(
        Param("cap", "上限（个）", "int", 15),
        Param(
            "basis",
            "计算口径",
            "choice",
            "legal_entity",
            (("legal_entity", "按法人（含关联单位）"), ("legal_representative", "按法定代表人")),
        ),
        Param("period", "计算周期", "choice", "batch", (("batch", "每批次"), ("year", "每年度"))),
    ),
)
def assessor_cap(facts, params):
    """`projects` holds this application's place among the assessor's live projects, in commissioning order."""
    a = _assessor(facts)
    if a is None:
        return _without_assessor(facts)
    key = f"{params['basis']}_{params['period']}"
    count = (a.get("projects") or {}).get(key)
    by_rep = params["basis"] == "legal_representative"
    evidence = {
        "assessor": a["name"],
        "legal_representative": a.get("legal_representative"),
        "count": count,
        "cap": params["cap"],
        "basis": params["basis"],
        "period": params["period"],
    }
    if count is None:
        return Outcome(NEEDS_EVIDENCE, "无法统计该机构的评价项目数（按法定代表人统计须登记法定代表人）。", evidence)
    who = f"法定代表人“{a.get('legal_representative')}”名下评价机构" if by_rep else f"“{a['name']}”"
    period = "本批次" if params["period"] == "batch" else "本年度"
    if count > int(params["cap"]):
        return Outcome(FAIL, f"本申报是{who}{period}承担的第{count}个评价项目，超过上限{params['cap']}个。", evidence)
    return Outcome(PASS, f"本申报是{who}{period}承担的第{count}个评价项目，未超过上限{params['cap']}个。", evidence)


@rule(
    "ASSESSOR-BLACKLIST",
    "评价机构未列入黑名单",
    HARD,
    ALL,
    "001 §二（四）；002；003；004",
    params=(Param("years", "黑名单期限（年）", "int", 3),),
)
def assessor_blacklist(facts, params):
    """An entry with an end date (the registry's, or an imported 移出 date) holds until that day, exclusive; one
    without holds for `years` from its listing, ending on the same day `years` later."""
    a = _assessor(facts)
    if a is None:
        return _without_assessor(facts)
    ref = _date(facts["reference_date"])

    def end(r):
        return _date(r["ended_on"]) if r.get("ended_on") else years_after(_date(r["occurred_on"]), int(params["years"]))

    active = [r for r in a.get("records", []) if r["kind"] == "assessor_blacklist" and ref < end(r)]
    evidence = {"assessor": a["name"], "listings": [r["occurred_on"] for r in active]}
    if active:
        first = active[0]
        if first.get("ended_on"):
            return Outcome(
                FAIL,
                f"“{a['name']}”于{first['occurred_on']}列入黑名单（{first.get('source') or '黑名单'}），"
                f"{first['ended_on']}前不接受其评价报告。",
                {**evidence, "until": first["ended_on"]},
            )
        return Outcome(
            FAIL,
            f"“{a['name']}”于{first['occurred_on']}列入黑名单，{params['years']}年内不接受其评价报告。",
            evidence,
        )
    return Outcome(PASS, f"“{a['name']}”不在黑名单期内。", evidence)


@rule("ASSESSOR-ANNUAL-REPORT", "评价机构已填报上年度工作情况", ADVISORY, ALL, "001 §三；003")
def assessor_annual_report(facts, params):
    a = _assessor(facts)
    if a is None:
        return _without_assessor(facts)
    year = int(facts["notice"]["year"]) - 1
    filed = [
        r
        for r in a.get("records", [])
        if r["kind"] == "assessor_annual_report"
        and _date(r["occurred_on"]).year in (year, year + 1)
        and (r.get("category") in ("", str(year)))
    ]
    evidence = {"assessor": a["name"], "year": year, "filed": [r["occurred_on"] for r in filed]}
    if filed:
        return Outcome(PASS, f"“{a['name']}”已填报{year}年度工作情况。", evidence)
    return Outcome(FAIL, f"“{a['name']}”未填报{year}年度工作情况，本年度不得参与评价。", evidence)


@rule("ASSESSOR-FILED", "评价机构已在本省备案", ADVISORY, ALL, "004 §四")
def assessor_filed(facts, params):
    a = _assessor(facts)
    if a is None:
        return _without_assessor(facts)
    evidence = {"assessor": a["name"], "filed_with": a.get("filed_with")}
    if a.get("filed_in_applicant_province"):
        return Outcome(PASS, f"“{a['name']}”已在{a['filed_with']}备案。", evidence)
    return Outcome(FAIL, f"“{a['name']}”未在申报单位所在省备案。", evidence)


@rule("ASSESSOR-INDEPENDENCE", "评价机构未参与编制自评价报告", HARD, ALL, "002")
def assessor_independence(facts, params):
    a = _assessor(facts)
    if a is None:
        return _without_assessor(facts)
    s = facts.get("self_evaluation") or {}
    evidence = {
        "assessor": a["name"],
        "self_evaluation_org": s.get("org_id"),
        "self_evaluation_person": s.get("person"),
        "lead_assessor": a.get("lead"),
    }
    if s.get("org_id") and s.get("org_id") == a["id"]:
        return Outcome(FAIL, f"“{a['name']}”参与编制了自评价报告，不能再作为第三方评价机构。", evidence)
    if s.get("person") and a.get("lead") and s["person"].strip() == a["lead"].strip():
        return Outcome(FAIL, f"项目负责人“{a['lead']}”参与编制了自评价报告。", evidence)
    return Outcome(PASS, "评价机构与自评价报告编制者无重合。", evidence)


@rule("PRODUCT-STANDARD", "产品在已发布的绿色设计产品评价标准清单内", HARD, ("product",), "002")
def product_standard(facts, params):
    from applications.categories import PRODUCT_STANDARDS

    standard = _flag(facts, "product_standard")
    evidence = {"product_standard": standard}
    if not standard:
        return Outcome(NEEDS_EVIDENCE, "未选择产品评价标准。", evidence)
    if standard in PRODUCT_STANDARDS:
        return Outcome(PASS, f"按“{standard}”评价。", evidence)
    return Outcome(FAIL, "所选标准不在已发布的绿色设计产品评价标准清单内。", evidence)


def run(rule_obj: Rule, facts: dict, params: dict) -> Outcome:
    """Evaluate one rule; a rule that does not apply to the category, or crashes on odd facts, says so."""
    if facts["application"]["category"] not in rule_obj.categories:
        return Outcome(NOT_APPLICABLE, "不适用于该申报类别。", {})
    merged = {**rule_obj.defaults(), **(params or {})}
    try:
        return rule_obj.evaluate(facts, merged)
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
        return Outcome(NEEDS_EVIDENCE, f"事实不完整，无法判断（{type(exc).__name__}）。", {"error": str(exc)})
