"""The national data set, step by step: each step a method of one of the mixins, each drawing from its own random
stream, so the same --seed gives the same year on a fresh database."""

import math
import random
import time

from django.db import transaction

from applications.models import Application, Declaration, Engagement
from eligibility.models import CreditRecord, Evaluation, RuleSet
from greenmfg.shared_cache import config_changed
from notices.models import Notice
from organizations.models import Organization
from reviews.models import Assignment, Panel

from .applications import ApplicationsMixin
from .common import MARK, A, D, E, P, S
from .notices import NoticesMixin
from .organizations import OrganizationsMixin
from .records import RecordsMixin
from .reviews import ReviewsMixin


class Builder(OrganizationsMixin, NoticesMixin, ApplicationsMixin, RecordsMixin, ReviewsMixin):
    def __init__(self, *, seed: int, year: int):
        self.seed, self.year, self.timings = seed, year, []

    def run(self, n: int, *, rebuild: bool) -> dict:
        """Build the year (after deleting it when rebuild); returns the counts shown by the command."""
        with transaction.atomic():
            if rebuild:
                self.step("清除本年度旧数据", lambda: clear_year(self.year))
            self.build(n)
            config_changed()  # bulk writes send no signal: what the web processes keep is stale
        return {
            "主管部门": Organization.objects.filter(kind=A, address=MARK).count(),
            "协同部门": Organization.objects.filter(kind=D, address=MARK).count(),
            "企业": Organization.objects.filter(kind=E, address=MARK).count(),
            "园区": Organization.objects.filter(kind=P, address=MARK).count(),
            "评价机构": Organization.objects.filter(kind=S, address=MARK).count(),
            "通知": Notice.objects.filter(year=self.year, issuer__address=MARK).count(),
            "申报": Application.objects.filter(notice__year=self.year, notice__issuer__address=MARK).count(),
            "负面清单声明": Declaration.objects.filter(application__notice__in=self.notice_ids).count(),
            "第三方委托": Engagement.objects.filter(application__notice__in=self.notice_ids).count(),
            "信用记录": CreditRecord.objects.filter(source__endswith=self.tag).count(),
            "专家评审组": Panel.objects.filter(notice__in=self.notice_ids).count(),
            "专家评审任务": Assignment.objects.filter(panel__notice__in=self.notice_ids).count(),
        }

    def step(self, label, fn):
        # Each step draws from its own stream, so a year's data does not depend on whether the tree was built now.
        self.rng = random.Random(f"{self.seed}:{label}")
        started = time.perf_counter()
        result = fn()
        self.timings.append((label, time.perf_counter() - started))
        return result

    @property
    def tag(self) -> str:
        return f"（规模测试{self.year}）"

    def build(self, n: int) -> None:
        self.step("主管部门树", self.build_tree)
        parks = round(n * 0.04) if n >= 25 else min(1, n - 1)
        enterprise_apps = n - parks
        enterprises = math.ceil(enterprise_apps / 1.15)
        self.step("申报单位", lambda: self.build_applicants(enterprises, parks))
        self.step("评价机构", self.build_assessors)
        self.step("权限组和账号", self.build_groups)
        self.step("通知链", self.build_notices)
        self.step("申报", lambda: self.build_applications(enterprise_apps, enterprises, parks))
        self.step("声明和报送", self.build_declarations_and_referrals)
        self.step("第三方委托", self.build_engagements)
        self.step("信用记录", self.build_records)
        self.step("申报授权", self.build_grants)
        self.step("评审专家", self.build_experts)
        self.step("专家评审", self.build_panels)


def clear_year(year: int) -> None:
    """Delete what seed_scale made for this year: notices, their applications and everything on them (panels with
    their criteria, assignments and scores too), records. The experts stay, like the organizations."""
    notices = Notice.objects.filter(year=year, issuer__address=MARK)
    apps = Application.objects.filter(notice__in=notices)
    Panel.objects.filter(notice__in=notices).delete()
    Evaluation.objects.filter(application__in=apps).delete()
    apps.delete()
    Evaluation.objects.filter(rule_set__notice__in=notices).delete()
    RuleSet.objects.filter(notice__in=notices).delete()
    remaining = set(notices.values_list("pk", flat=True))
    while remaining:
        forwarded = set(Notice.objects.filter(forwards_id__in=remaining).values_list("forwards_id", flat=True))
        leaves = remaining - forwarded
        Notice.objects.filter(pk__in=leaves).delete()
        remaining -= leaves
    CreditRecord.objects.filter(source__endswith=f"（规模测试{year}）").delete()
