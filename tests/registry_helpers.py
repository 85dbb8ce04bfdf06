"""Building the assessor registry for tests the way users do: through organizations.services_registry, real files."""

import itertools

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from applications.models import Application, Engagement
from organizations import services_registry as services
from organizations.models import AnnualReportCall
from tests.application_helpers import FACTORY_DATA, PDF_BYTES
from tests.factories import credit_code, member, org

PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
_serial = itertools.count(1)

# Meets every basic condition of 002 §三.
FILING_DATA = {
    "registered_in_prc": True,
    "entity_type": "enterprise",
    "registration_authority": "太原市市场监督管理局",
    "office_address": "太原市小店区长治路1号",
    "has_financial_system": True,
    "staff_full_time": 18,
    "staff_mid_level": 12,
    "staff_senior": 6,
    "senior_fields": {"energy": 2, "environment": 2, "lca": 1},
    "experience": [{"year": 2023, "client": "山西某钢铁集团", "work": "绿色工厂第三方评价"}],
    "contact_name": "韩立群",
    "contact_phone": "0351-7000001",
}


def pdf(name="证明材料.pdf"):
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def png(name="照片.png"):
    return SimpleUploadedFile(name, PNG_BYTES, content_type="image/png")


def new_assessor(name=None, *, rep="韩立群", region="140105"):
    """An assessor organization with an admin member; returns (assessor, user)."""
    assessor = org(
        kind="assessor",
        name=name or f"测试评价机构{next(_serial)}有限公司",
        region_id=region,
        credit_code=credit_code(region),
        legal_representative=rep,
    )
    return assessor, member(assessor)


def file_with(user, assessor, authority, *, data=None, proofs=None, previous=None):
    return services.filing_submit(
        actor=user,
        assessor=assessor,
        authority=authority,
        data={**FILING_DATA, **(data or {})},
        proofs=[("legal_person", pdf("营业执照.pdf"))] if proofs is None else proofs,
        previous=previous,
    )


def approved(user, assessor, authority, decider):
    filing = file_with(user, assessor, authority)
    return services.filing_decide(actor=decider, filing=filing, approve=True, reason="材料齐全")


def open_call(decider, authority, *, year=None, days=30):
    return services.annual_call_open(
        actor=decider,
        authority=authority,
        year=year or timezone.localdate().year - 1,
        due_at=timezone.now() + timezone.timedelta(days=days),
    )


def past_due(call: AnnualReportCall, days=1) -> AnnualReportCall:
    """The call's deadline moved into the past (as if the time had come), without waiting."""
    AnnualReportCall.objects.filter(pk=call.pk).update(due_at=timezone.now() - timezone.timedelta(days=days))
    call.refresh_from_db()
    return call


REPORT_DATA = {
    "projects_evaluated": 12,
    "passed_province": 5,
    "summary": "全年开展绿色工厂评价12项，均现场核查。",
    "self_check": {code: True for code in ("no_visit", "cursory", "fraud", "copying", "unrealistic")}
    | {code: True for code in ("borrowed_credentials", "subcontracting", "incapable", "favours", "promises")},
}


def report(user, assessor, call, **data):
    return services.annual_report_submit(
        actor=user, assessor=assessor, call=call, data={**REPORT_DATA, **data}, upload=pdf("年度工作情况.pdf")
    )


def commissioned(notice, applicant, assessor, *, submitted_at=None, status=Engagement.Status.ACCEPTED):
    """A third-party application of `applicant` under `notice` commissioning `assessor`."""
    app = Application.objects.create(
        notice=notice,
        category="factory",
        applicant=applicant,
        holder=applicant,
        evaluation_mode="third_party",
        data=dict(FACTORY_DATA),
        submitted_at=submitted_at,
    )
    Engagement.objects.create(application=app, assessor=assessor, status=status, lead_assessor="王五")
    return app


def loaded(apps):
    ids = [a.pk for a in apps]
    by_id = {
        a.pk: a
        for a in Application.objects.filter(pk__in=ids).select_related(
            "applicant", "applicant__competent_authority", "notice"
        )
    }
    return [by_id[pk] for pk in ids]
