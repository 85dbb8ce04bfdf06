"""Credit records of the year: dishonesty, accidents, abnormal operation, rectification, green lists and removals for
a few percent of applicants; the assessors' annual reports and blacklist."""

from datetime import date, timedelta

from django.utils import timezone

from eligibility.models import CreditRecord

from .common import years_ago

RECORD_PLAN = [
    ("dishonest", 0.005, 0.3),
    ("abnormal_operation", 0.005, 0.4),
    ("safety_accident", 0.005, 0.0),
    ("quality_accident", 0.003, 0.0),
    ("environment_accident", 0.005, 0.0),
    ("tax_violation", 0.002, 0.0),
    ("inspection", 0.002, 0.0),
    ("rectification", 0.005, 0.5),
    ("green_list_removed", 0.002, 0.0),
]
SOURCES = {
    "dishonest": "中国执行信息公开网",
    "abnormal_operation": "国家企业信用信息公示系统",
    "safety_accident": "应急管理部门",
    "quality_accident": "市场监管部门",
    "environment_accident": "生态环境部门",
    "tax_violation": "信用中国",
    "inspection": "国务院督查",
    "rectification": "工业节能监察",
    "green_list_removed": "绿色制造名单动态管理",
    "green_list": "绿色制造名单",
    "assessor_blacklist": "第三方评价机构黑名单",
    "assessor_annual_report": "评价机构年度工作情况填报",
}


class RecordsMixin:
    def build_records(self) -> None:
        rng, year, tag = self.rng, self.year, self.tag
        today = timezone.localdate()
        rows = {}

        def add(kind, org, occurred, **extra):
            r = CreditRecord(
                kind=kind,
                credit_code=org.credit_code,
                name=org.name,
                occurred_on=occurred,
                source=f"{SOURCES[kind]}{tag}",
                **extra,
            )
            rows[(kind, r.credit_code, occurred, extra.get("category", ""), extra.get("level", ""))] = r

        applicants = self.enterprises + self.parks
        for kind, share, lifted in RECORD_PLAN:
            for org in rng.sample(applicants, max(1 if len(applicants) > 50 else 0, round(len(applicants) * share))):
                recent = rng.random() < 0.75
                occurred = today - timedelta(days=rng.randint(30, 1000) if recent else rng.randint(1130, 1800))
                done = rng.random() < lifted
                add(kind, org, occurred, rectified=done, ended_on=occurred + timedelta(days=90) if done else None)
        categories = {}
        for app in self.apps:
            categories.setdefault(app.applicant_id, app.category)
        for org in rng.sample(applicants, round(len(applicants) * 0.06)):
            category = categories.get(org.pk, "factory")
            level = "province" if rng.random() < 0.65 else "city"
            add("green_list", org, date(year - rng.randint(1, 4), 12, 20), category=category, level=level)
        for org in rng.sample(applicants, round(len(applicants) * 0.003)):
            add("green_list", org, date(year - 2, 1, 10), category=categories.get(org.pk, "factory"), level="national")
        for i, assessor in enumerate(self.assessors):
            if i % 12 != 11:  # most filed last year's work report
                add("assessor_annual_report", assessor, date(year, 1, 15), category=str(year - 1))
        if len(self.assessors) > 20:
            add("assessor_blacklist", self.assessors[7], today - timedelta(days=200))  # still listed
            add("assessor_blacklist", self.assessors[19], years_ago(today, 4))  # listing expired
        CreditRecord.objects.bulk_create(list(rows.values()), batch_size=500)
