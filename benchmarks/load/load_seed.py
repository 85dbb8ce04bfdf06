"""The deadline-day population, made through the portal's own services on top of the demo.

- applicants: enterprises `load-ent-0001` … under 小店区, each with a factory application under 太原's open notice,
  data, negative-list declarations and commitment done, no material yet (the load uploads them and submits);
- decisions: enterprises whose applications were submitted (materials uploaded, eligibility evaluated) and now wait
  in the inbox of 小店区 (county), 太原 (city: enterprises reporting to the city directly) or 山西 (province: enterprises
  reporting to the province directly, under the province's notice);
- authority users `load-county-01`, `load-city-01`, `load-province-01` … (approvers) to decide them.

Every account's password is the demo's; the hash is computed once (hashing per user would dominate the seeding).
"""

import io
import uuid

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from pdf_slot import SLOT, unique_pdf

from applications import services
from applications.models import Application, NegativeItem
from greenmfg.demo_applications import FACTORY
from notices.models import Notice
from organizations.credit_code import make_credit_code
from organizations.models import Organization
from organizations.services import membership_add, organization_create
from reviews.services import transition_perform

PASSWORD = "greenmfg-demo"
LEVELS = {  # level -> (authority name in the demo, region, credit-code letters)
    "county": ("太原市小店区工业和信息化局", "140105", "MC"),
    "city": ("太原市工业和信息化局", "140100", "MD"),
    "province": ("山西省工业和信息化厅", "140000", "ME"),
}


def base_pdf() -> bytes:
    from pypdf import PdfReader, PdfWriter
    from weasyprint import HTML

    text = "本单位贯彻绿色发展理念，建立能源管理体系，开展节能诊断与清洁生产审核，单位产品综合能耗持续下降。" * 4
    html = (
        '<html lang="zh-CN"><body style="font-family: Noto Serif CJK SC; font-size: 12pt">'
        f"<h1>申报材料</h1><p>{text}</p><p>{text}</p></body></html>"
    )
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(HTML(string=html).write_pdf())))
    writer.add_metadata({"/Subject": SLOT.decode()})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


class Seeder:
    def __init__(self):
        self.User = get_user_model()
        self.password = make_password(PASSWORD)
        self.authorities = {level: Organization.objects.get(name=name) for level, (name, _r, _c) in LEVELS.items()}
        published = Notice.objects.filter(status=Notice.Status.PUBLISHED, year=2024)
        self.notices = {
            "county": published.get(issuer=self.authorities["city"]),
            "city": published.get(issuer=self.authorities["city"]),
            "province": published.get(issuer=self.authorities["province"]),
        }
        self.pdf = base_pdf()

    def user(self, username: str, full_name: str):
        user = self.User(username=username, first_name=full_name, password=self.password)
        user.save()
        return user

    def enterprise(self, username: str, serial: int, level: str) -> tuple[Organization, object]:
        _name, region, letters = LEVELS[level]
        org = organization_create(
            actor=None,
            check_permission=False,
            kind=Organization.Kind.ENTERPRISE,
            name=f"山西{username}绿色制造有限公司",
            region_id=region,
            credit_code=make_credit_code(f"91{region}{letters}{serial:06d}X"),
            competent_authority=self.authorities[level],
            legal_representative="王建国",
        )
        user = self.user(username, f"{username}申报专员")
        membership_add(actor=None, user=user, organization=org, role="admin")
        return org, user

    @transaction.atomic
    def draft(self, username: str, serial: int, level: str) -> Application:
        org, user = self.enterprise(username, serial, level)
        application = services.application_create(
            actor=user, applicant=org, notice=self.notices[level], category="factory", data=FACTORY
        )
        services.declarations_save(
            actor=user,
            application=application,
            answers={code: {"occurred": False, "note": ""} for code in NegativeItem.values},
        )
        services.commitment_sign(actor=user, application=application, signer="王建国")
        application.seed_user = user
        return application

    def submitted(self, username: str, serial: int, level: str) -> Application:
        application = self.draft(username, serial, level)
        user = application.seed_user
        category = self.notices[level].categories.get(category="factory")
        for material in category.materials.filter(required=True):
            services.material_upload(
                actor=user,
                application=application,
                kind=str(material.pk),
                upload=SimpleUploadedFile(
                    f"{material.name}.pdf", unique_pdf(self.pdf, uuid.uuid4().hex), content_type="application/pdf"
                ),
            )
        return transition_perform(actor=user, application=application, action="submit")

    def authority_users(self, level: str, count: int) -> list[str]:
        names = []
        for i in range(1, count + 1):
            username = f"load-{level}-{i:02d}"
            user = self.user(username, f"{self.authorities[level].name}审核员{i}")
            membership_add(actor=None, user=user, organization=self.authorities[level], role="approver")
            names.append(username)
        return names


def seed(*, applicants: int, decisions: dict[str, int], reviewers: int, progress=print) -> dict:
    """Returns the plan the load client reads: who logs in, which application each will work on."""
    seeder = Seeder()
    plan = {"password": PASSWORD, "applicants": [], "decisions": {}, "reviewers": {}}
    for i in range(1, applicants + 1):
        username = f"load-ent-{i:04d}"
        application = seeder.draft(username, i, "county")
        plan["applicants"].append({"username": username, "application": application.pk})
        if i % 100 == 0:
            progress(f"  {i} draft applications")
    serial = 100000
    for level, count in decisions.items():
        plan["decisions"][level] = []
        for i in range(1, count + 1):
            serial += 1
            application = seeder.submitted(f"load-dec-{level}-{i:04d}", serial, level)
            if application.holder_id != seeder.authorities[level].pk:
                raise RuntimeError(f"{application} is held by {application.holder}, not {seeder.authorities[level]}")
            plan["decisions"][level].append(application.pk)
        progress(f"  {count} submitted applications waiting at {seeder.authorities[level].name}")
        plan["reviewers"][level] = seeder.authority_users(level, reviewers)
    return plan
