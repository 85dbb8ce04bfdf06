"""The demo objects that fill the permission matrix's path parameters (tests/permission_matrix_table.py names them).

Each getter finds its object by natural keys (names, users), never by fixed ids, and returns the URL parameters
(`pk`, `file_id`, …; `_post` is a minimal POST body where the view looks something up from it). The few objects the
demo does not hold (a rendered document, a notice attachment, a credit import, a consultation proof) are made once.
"""

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@dataclass
class Scene:
    """Demo objects looked up by their natural keys (names, users), never by fixed ids."""

    cache: dict = field(default_factory=dict)

    def user(self, username: str):
        return get_user_model().objects.get(username=username)

    def org(self, name: str):
        from organizations.models import Organization

        return Organization.objects.get(name=name)

    def application(self, applicant: str, category: str = "factory"):
        from applications.models import Application

        return Application.objects.get(applicant__name=applicant, category=category)

    def notice(self, issuer: str, year: int = 2024, *, pre: bool = False):
        from notices.models import Notice

        qs = Notice.objects.filter(issuer__name=issuer, year=year, status=Notice.Status.PUBLISHED)
        return [n for n in qs.order_by("pk") if ("预通知" in n.title) == pre][0]

    def batch(self, authority: str):
        from reviews.models import Batch

        return Batch.objects.get(authority__name=authority)


XIAODIAN = "太原市小店区工业和信息化局"
TAIYUAN_CITY = "太原市工业和信息化局"
SHANXI = "山西省工业和信息化厅"
JINYANG = "山西晋阳精密机械有限公司"
FENHE = "太原汾河新材料科技有限公司"
GUANGDIAN = "山西综改区光电科技有限公司"
QINGYUAN = "山西清源绿色评价技术有限公司"
TAIGANG = "太原太钢不锈钢精密带钢有限公司"


def _county_org(s: Scene) -> dict:
    return {"pk": s.org(XIAODIAN).pk}


def _county_membership(s: Scene) -> dict:
    county = s.org(XIAODIAN)
    return {"pk": county.pk, "membership_id": county.memberships.get(user__username="county").pk}


def _taiyuan_notice(s: Scene) -> dict:
    notice = s.notice(TAIYUAN_CITY)
    return {"pk": notice.pk, "notice_id": notice.pk, "notice_pk": notice.pk, "code": "factory"}


def _taiyuan_material(s: Scene) -> dict:
    from notices.models import RequiredMaterial

    notice = s.notice(TAIYUAN_CITY)
    material = RequiredMaterial.objects.filter(notice_category__notice=notice).order_by("pk").first()
    return {"pk": notice.pk, "material_id": material.pk}


def _taiyuan_deadline(s: Scene) -> dict:
    notice = s.notice(TAIYUAN_CITY)
    return {"pk": notice.pk, "deadline_id": notice.deadlines.order_by("pk").first().pk}


def _taiyuan_attachment(s: Scene) -> dict:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from notices.services import attachment_add

    notice = s.notice(TAIYUAN_CITY)
    if "attachment" not in s.cache:
        upload = SimpleUploadedFile("申报指南.pdf", PDF, content_type="application/pdf")
        s.cache["attachment"] = attachment_add(actor=s.user("city"), notice=notice, upload=upload)
    return {"pk": notice.pk, "attachment_id": s.cache["attachment"].pk}


def _shanxi_notice(s: Scene) -> dict:
    return {"pk": s.notice(SHANXI).pk}


def _app(applicant: str, category: str = "factory"):
    def getter(s: Scene) -> dict:
        return {"pk": s.application(applicant, category).pk}

    return getter


def _fenhe_file(s: Scene) -> dict:
    app = s.application(FENHE)
    return {"pk": app.pk, "file_id": app.files.filter(is_current=True).order_by("pk").first().pk}


def _fenhe_draft_material(s: Scene) -> dict:
    app = s.application(FENHE, "supply_chain")
    from applications.selectors import notice_category_of

    return {"pk": app.pk, "kind": str(notice_category_of(app).materials.order_by("position", "pk").first().pk)}


def _engagement(s: Scene) -> dict:
    return {"pk": s.application(FENHE).engagements.get().pk}


def _consultation(authority: str):
    def getter(s: Scene) -> dict:
        from reviews.models import Consultation

        return {"pk": Consultation.objects.get(authority__name=authority).pk}

    return getter


def _pending_reply(s: Scene) -> dict:
    from reviews.models import ConsultationReply

    reply = ConsultationReply.objects.get(
        consultation__authority__name=TAIYUAN_CITY, department__name="太原市市场监督管理局"
    )
    return {"pk": reply.consultation_id, "reply_id": reply.pk}


def _reply_with_proof(s: Scene) -> dict:
    from reviews.models import ConsultationReply

    reply = ConsultationReply.objects.get(
        consultation__authority__name=XIAODIAN, department__name="太原市生态环境局小店分局"
    )
    if not reply.proof:
        reply.proof.save("无异议证明.pdf", ContentFile(PDF), save=False)
        reply.proof_name = "无异议证明.pdf"
        reply.save(update_fields=["proof", "proof_name"])
    return {"pk": reply.consultation_id, "reply_id": reply.pk}


def _batch(authority: str):
    def getter(s: Scene) -> dict:
        return {"pk": s.batch(authority).pk}

    return getter


def _panel(s: Scene) -> dict:
    from reviews.models import Panel

    return {"pk": Panel.objects.get(authority__name=SHANXI).pk}


def _panel_with_pair(s: Scene) -> dict:
    """A POST body naming what to assign: the view looks both up, so an empty body would be a 404 for anyone."""
    from organizations.models import ExpertProfile

    expert = ExpertProfile.objects.get(user__username="expert")
    return {**_panel(s), "_post": {"application": s.application(GUANGDIAN).pk, "expert": expert.pk}}


def _assignment(s: Scene) -> dict:
    from reviews.models import Assignment

    return {"pk": Assignment.objects.get(expert__user__username="expert", application__applicant__name=GUANGDIAN).pk}


def _publicity(s: Scene) -> dict:
    from reviews.models import Publicity

    return {"pk": Publicity.objects.get(state=Publicity.State.PUBLISHED).pk}


def _objection(s: Scene) -> dict:
    from reviews.models import Objection

    objection = Objection.objects.get(publicity__state="published")
    return {"pk": objection.publicity_id, "objection_id": objection.pk}


def _credit_import(s: Scene) -> dict:
    from eligibility.imports import credit_records_import

    if "credit_import" not in s.cache:
        rows = "统一社会信用代码,名称,列入日期\n91140100MA0K000000,某失信企业,2024-01-05\n".encode()
        upload = ContentFile(rows, name="失信被执行人.csv")
        s.cache["credit_import"] = credit_records_import(
            actor=s.user("province"), kind="dishonest", upload_or_path=upload, source_default="最高人民法院"
        )
    return {"pk": s.cache["credit_import"].pk}


def _batch_document(s: Scene) -> dict:
    from documents.services import document_render, document_request

    if "document" not in s.cache:
        doc = document_request(actor=s.user("county"), kind="batch_summary", owner=s.batch(XIAODIAN))
        document_render(document_id=doc.pk)
        s.cache["document"] = doc
    return {"pk": s.cache["document"].pk}


def _letter_template(s: Scene) -> dict:
    return {"authority_pk": s.org(XIAODIAN).pk, "kind": "recommend"}


def _listing(name: str, year: int, level: str):
    def getter(s: Scene) -> dict:
        from listings.models import Listing

        return {"pk": Listing.objects.get(organization__name=name, year=year, level=level).pk}

    return getter


def _listing_import(s: Scene) -> dict:
    from listings.models import ListingImport

    return {"pk": ListingImport.objects.get(authority__name=SHANXI).pk}


def _open_round(s: Scene) -> dict:
    from listings.models import DynamicRound

    return {"pk": DynamicRound.objects.get(authority__name=SHANXI, year=2025).pk}


def _round_start_fenhe(s: Scene) -> dict:
    from listings.models import Listing

    listing = Listing.objects.get(organization__name=FENHE, category="supply_chain")
    return {**_open_round(s), "listing_id": listing.pk}


def _taigang_report(s: Scene) -> dict:
    from listings.models import DynamicReport

    return {"pk": DynamicReport.objects.get(listing__organization__name=TAIGANG, round__year=2025).pk}


def _taigang_listing(s: Scene) -> dict:
    from listings.models import Listing

    return {"listing_id": Listing.objects.get(organization__name=TAIGANG, year=2021).pk}


def _recheck(s: Scene) -> dict:
    from listings.models import Recheck

    return {"pk": Recheck.objects.get(listing__organization__name=TAIGANG).pk}


def _removal(s: Scene) -> dict:
    from listings.models import Removal

    return {"pk": Removal.objects.get(listing__organization__name="大同煤矿机械再制造有限公司").pk}


def _qingyuan_filing(s: Scene) -> dict:
    from organizations.models import AssessorFiling

    filing = AssessorFiling.objects.get(assessor__name=QINGYUAN)
    return {"pk": filing.pk, "proof_id": filing.proofs.order_by("pk").first().pk}


def _call(year: int):
    def getter(s: Scene) -> dict:
        from organizations.models import AnnualReportCall

        return {"pk": AnnualReportCall.objects.get(authority__name=SHANXI, year=year).pk}

    return getter


def _qingyuan_report(s: Scene) -> dict:
    from organizations.models import AssessorAnnualReport

    return {"pk": AssessorAnnualReport.objects.get(assessor__name=QINGYUAN).pk}


def _qingyuan(s: Scene) -> dict:
    return {"pk": s.org(QINGYUAN).pk}


def _blacklist(s: Scene) -> dict:
    from organizations.models import AssessorBlacklist

    return {"pk": AssessorBlacklist.objects.get(assessor__name="晋中恒信节能评估咨询有限公司").pk}


def _county_notification(s: Scene) -> dict:
    return {"pk": s.user("county").notifications.order_by("pk").first().pk}


OBJECTS = {
    "the 小店区 bureau": _county_org,
    "county's membership of the 小店区 bureau": _county_membership,
    "太原's open notice (factory category)": _taiyuan_notice,
    "a required material of 太原's notice": _taiyuan_material,
    "a deadline of 太原's notice": _taiyuan_deadline,
    "an attachment of 太原's notice": _taiyuan_attachment,
    "山西's open notice": _shanxi_notice,
    "the 晋阳精密 factory application (at 小店区, consultation out)": _app(JINYANG),
    "the 汾河新材料 factory application (at 太原, report by 清源)": _app(FENHE),
    "the 汾河新材料 supply-chain draft": _app(FENHE, "supply_chain"),
    "the 综改区光电 factory application (at 山西, experts)": _app(GUANGDIAN),
    "a current file of the 汾河新材料 factory application": _fenhe_file,
    "a material slot of the 汾河新材料 draft": _fenhe_draft_material,
    "清源's engagement by 汾河新材料": _engagement,
    "小店区's consultation": _consultation(XIAODIAN),
    "太原's consultation": _consultation(TAIYUAN_CITY),
    "太原 market regulation's pending reply": _pending_reply,
    "小店区 ecology's reply with a proof": _reply_with_proof,
    "小店区's batch (received by 太原)": _batch(XIAODIAN),
    "经开区's draft batch": _batch("太原经济技术开发区经济发展局"),
    "太原's batch (received by 山西)": _batch(TAIYUAN_CITY),
    "山西's factory panel": _panel,
    "山西's factory panel, with an expert and an application to assign": _panel_with_pair,
    "expert's assignment on 综改区光电": _assignment,
    "the ministry's running 公示": _publicity,
    "the open objection to the running 公示": _objection,
    "a credit-record import by 山西": _credit_import,
    "小店区's batch summary document": _batch_document,
    "小店区's letter template": _letter_template,
    "太钢精密带钢's 2022 national entry": _listing(TAIGANG, 2022, "national"),
    "大同煤矿机械's removed provincial entry": _listing("大同煤矿机械再制造有限公司", 2023, "province"),
    "山西's import of its historical lists": _listing_import,
    "山西's open 2025 dynamic round": _open_round,
    "汾河新材料's entry in the open round": _round_start_fenhe,
    "太钢精密带钢's 2025 dynamic report": _taigang_report,
    "太钢精密带钢's 2021 provincial entry": _taigang_listing,
    "the re-check of 太钢精密带钢": _recheck,
    "the decided removal of 大同煤矿机械": _removal,
    "清源's filing with 山西 and its first proof": _qingyuan_filing,
    "山西's open report call (2025)": _call(2025),
    "山西's closed report call (2023)": _call(2023),
    "清源's 2023 annual report": _qingyuan_report,
    "清源 (the assessor)": _qingyuan,
    "晋中恒信's blacklisting": _blacklist,
    "county's first notification": _county_notification,
    "the regions statistics table": lambda s: {"key": "regions"},
}
