"""Data of the file bundles: one application's merged PDF (for upload to green.miit.gov.cn, 001_df05fc8070bc22d3.txt)
and a batch's zip of every application's materials with the batch's own documents.

Builders read the database only. Files are named by their storage name and sha256, so a re-uploaded material or a
re-rendered letter changes the input hash and the bundle is made again.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Prefetch
from django.utils import timezone

from applications.models import THIRD_PARTY_REPORT, Application, Engagement, MaterialFile
from greenmfg.uploads import CONTENT_TYPES as UPLOAD_TYPES
from greenmfg.uploads import sniff_type

REPORT_NAME = "第三方评价报告"
SELF_EVALUATION = "自评价"
TYPE_OF = {content_type: ext for ext, content_type in UPLOAD_TYPES.items()}
BATCH_DOCUMENT_KINDS = ("batch_letter_pdf", "batch_letter_docx", "batch_summary")  # order inside 00-推荐文及汇总表


@dataclass
class BundleFile:
    material: str  # 材料名称, 第三方评价报告 for the assessor's report
    original_name: str
    storage_name: str  # name in default_storage
    sha256: str
    size: int
    type: str  # pdf / docx / xlsx / jpg / png; "" when the content is not one of them
    uploaded_at: datetime | None = None


@dataclass
class ApplicationBundle:
    applicant: str
    credit_code: str
    region: str  # 山西省太原市小店区
    category: str  # 绿色工厂
    notice_title: str
    notice_year: int
    evaluation: str  # 自评价 / 第三方评价
    assessor: str  # the third-party assessor's name, or 自评价
    dated: date | None  # the cover's date: submission, else the newest material's upload
    files: list[BundleFile] = field(default_factory=list)


@dataclass
class BatchDocument:
    kind: str  # batch_summary / batch_letter_pdf / batch_letter_docx / scan
    label: str  # 推荐汇总表 ...
    filename: str
    storage_name: str
    sha256: str
    size: int
    finished_at: datetime | None = None


@dataclass
class BatchApplication:
    rank: int
    applicant: str
    category: str
    files: list[BundleFile] = field(default_factory=list)


@dataclass
class BatchBundle:
    title: str
    authority: str
    recipient: str
    documents: list[BatchDocument] = field(default_factory=list)
    applications: list[BatchApplication] = field(default_factory=list)


def region_name(region, depth: int = 3) -> str:
    """Province first: 山西省太原市小店区 (depth 3) or 山西省太原市 (depth 2); 北京市朝阳区 has no city level."""
    names = []
    while region is not None and len(names) < 3:
        names.append(region.name)
        region = region.parent if region.parent_id else None
    return "".join(list(reversed(names))[:depth])


def assessor_of(application: Application, engagements=None) -> str:
    """The accepted third-party assessor's name; 自评价 for a self-evaluated unit (000_0e19f411d564c71d.txt 附件2)."""
    if application.evaluation_mode != Application.EvaluationMode.THIRD_PARTY:
        return SELF_EVALUATION
    if engagements is None:
        engagements = application.engagements.select_related("assessor")
    accepted = [e for e in engagements if e.status == Engagement.Status.ACCEPTED]
    accepted.sort(key=lambda e: (e.requested_at, e.pk), reverse=True)
    return accepted[0].assessor.name if accepted else ""


def _file_type(record: MaterialFile) -> str:
    kind = TYPE_OF.get(record.content_type)
    if kind:
        return kind
    # older rows may lack a precise content type: judge the stored bytes as the upload check does
    try:
        with record.file.open("rb") as handle:
            return sniff_type(handle) or ""
    except (OSError, ValueError):
        return ""


def _bundle_file(record: MaterialFile, material_name: str) -> BundleFile:
    return BundleFile(
        material=material_name,
        original_name=record.original_name,
        storage_name=record.file.name,
        sha256=record.sha256,
        size=record.size,
        type=_file_type(record),
        uploaded_at=record.uploaded_at,
    )


def _notice_category(notice_id: int, category: str):
    from notices.models import NoticeCategory, RequiredMaterial

    return (
        NoticeCategory.objects.filter(notice_id=notice_id, category=category)
        .prefetch_related(Prefetch("materials", queryset=RequiredMaterial.objects.order_by("position", "id")))
        .first()
    )


def _ordered(current: dict[str, MaterialFile], notice_category) -> list[BundleFile]:
    """Current files in the order of the application page (reviews/views.py _materials): the notice's required
    materials by position, then the third-party report, then materials the notice no longer asks for."""
    current = dict(current)
    files = []
    for material in notice_category.materials.all() if notice_category else ():
        record = current.pop(str(material.pk), None)
        if record is not None:
            files.append(_bundle_file(record, material.name))
    report = current.pop(THIRD_PARTY_REPORT, None)
    if report is not None:
        files.append(_bundle_file(report, REPORT_NAME))
    for kind in sorted(current, key=lambda k: (current[k].material.position if current[k].material else 0, k)):
        record = current[kind]
        files.append(_bundle_file(record, record.material.name if record.material else record.original_name))
    return files


def _current_files(application_ids) -> dict[int, dict[str, MaterialFile]]:
    by_application: dict[int, dict[str, MaterialFile]] = {pk: {} for pk in application_ids}
    records = MaterialFile.objects.filter(application_id__in=application_ids, is_current=True).select_related(
        "material"
    )
    for record in records.order_by("application_id", "kind"):
        by_application[record.application_id][record.kind] = record
    return by_application


def current_materials(application: Application) -> list[BundleFile]:
    current = _current_files([application.pk])[application.pk]
    return _ordered(current, _notice_category(application.notice_id, application.category))


def application_bundle(application: Application, scope) -> ApplicationBundle:
    application = Application.objects.select_related("applicant__region__parent__parent", "notice").get(
        pk=application.pk
    )
    files = current_materials(application)
    if application.submitted_at:
        dated = timezone.localdate(application.submitted_at)
    else:
        uploads = [f.uploaded_at for f in files if f.uploaded_at]
        dated = timezone.localdate(max(uploads)) if uploads else None
    applicant = application.applicant
    return ApplicationBundle(
        applicant=applicant.name,
        credit_code=applicant.credit_code,
        region=region_name(applicant.region),
        category=application.get_category_display(),
        notice_title=application.notice.title,
        notice_year=application.notice.year,
        evaluation=application.get_evaluation_mode_display(),
        assessor=assessor_of(application),
        dated=dated,
        files=files,
    )


def _stored_size(fieldfile) -> int:
    try:
        return fieldfile.size
    except OSError:  # the zip renderer names the missing file
        return 0


def _batch_documents(batch, scope) -> list[BatchDocument]:
    from django.contrib.contenttypes.models import ContentType

    from documents.kinds import KINDS
    from documents.models import GeneratedDocument

    done = GeneratedDocument.objects.filter(
        owner_type=ContentType.objects.get_for_model(batch),
        owner_id=batch.pk,
        kind__in=BATCH_DOCUMENT_KINDS,
        status=GeneratedDocument.Status.DONE,
    ).order_by("-created_at", "-id")
    if scope is not None:
        done = done.filter(scope=scope)
    newest = {}
    for doc in done:  # newest first: the first of each kind wins
        newest.setdefault(doc.kind, doc)
    documents = []
    for kind in BATCH_DOCUMENT_KINDS:
        doc = newest.get(kind)
        if doc is not None and doc.file:
            documents.append(
                BatchDocument(
                    kind=kind,
                    label=KINDS[kind].label,
                    filename=doc.filename or f"{KINDS[kind].label}.{KINDS[kind].ext}",
                    storage_name=doc.file.name,
                    sha256=doc.sha256,
                    size=doc.size,
                    finished_at=doc.finished_at,
                )
            )
    if batch.scan:
        documents.append(
            BatchDocument(
                kind="scan",
                label="盖章扫描件",
                filename=batch.scan_name or batch.scan.name.rsplit("/", 1)[-1],
                storage_name=batch.scan.name,
                sha256=batch.scan_sha256,
                size=_stored_size(batch.scan),
                finished_at=batch.scan_uploaded_at,
            )
        )
    return documents


def batch_bundle(batch, scope) -> BatchBundle:
    from reviews.models import BatchItem

    batch = type(batch).objects.select_related("authority", "recipient").get(pk=batch.pk)
    items = list(BatchItem.objects.filter(batch=batch).select_related("application__applicant").order_by("rank", "id"))
    current = _current_files([item.application_id for item in items])
    categories = {}  # one notice category per (notice, category): a batch holds a few at most
    applications = []
    for item in items:
        application = item.application
        key = (application.notice_id, application.category)
        if key not in categories:
            categories[key] = _notice_category(*key)
        applications.append(
            BatchApplication(
                rank=item.rank,
                applicant=application.applicant.name,
                category=application.get_category_display(),
                files=_ordered(current[application.pk], categories[key]),
            )
        )
    return BatchBundle(
        title=batch.title,
        authority=batch.authority.name,
        recipient=batch.recipient.name,
        documents=_batch_documents(batch, scope),
        applications=applications,
    )
