"""Filing (备案) with a province and its decision (004 §四; conditions 002 §三)."""

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone

from activity.services import audit_record
from greenmfg.uploads import CONTENT_TYPES, check_upload, safe_name

from ..models import AssessorFiling, AssessorFilingProof, Organization
from ..registry_models import SENIOR_FIELDS
from ..selectors_registry import unmet_conditions
from .common import (
    PROOF_MAX_BYTES,
    PROOF_TYPES,
    _int,
    _notify_assessor,
    _notify_deciders,
    _require_assessor,
    _require_decider,
    _require_province,
    _store,
    _text,
    assessor_facts_changed,
)

# ------------------------------------------------------------------------------------------------ filings


def clean_filing_data(data: dict) -> dict:
    """The filing's fields from a form or API payload, or a ValidationError naming each field in Chinese.

    The 002 conditions (≥ 10 mid-level staff, ≥ 5 senior in the fields …) are not checked here: a filing that does
    not meet them can be submitted, is shown so to the province, and cannot be approved.
    """
    errors: dict[str, list[str]] = {}
    today = timezone.localdate()
    out = {
        "registered_in_prc": bool(data.get("registered_in_prc")),
        "entity_type": _text(data, "entity_type") or AssessorFiling.EntityType.ENTERPRISE,
        "registration_authority": _text(data, "registration_authority"),
        "office_address": _text(data, "office_address"),
        "has_financial_system": bool(data.get("has_financial_system")),
        "contact_name": _text(data, "contact_name"),
        "contact_phone": _text(data, "contact_phone"),
        "contact_email": _text(data, "contact_email"),
    }
    if out["entity_type"] not in AssessorFiling.EntityType.values:
        errors["entity_type"] = ["请选择单位性质。"]
    if not out["registration_authority"]:
        errors["registration_authority"] = ["请填写登记机关（如市场监督管理局）。"]
    if not out["office_address"]:
        errors["office_address"] = ["请填写固定办公场所地址。"]
    if not out["contact_name"]:
        errors["contact_name"] = ["请填写联系人。"]
    if not out["contact_phone"]:
        errors["contact_phone"] = ["请填写联系电话。"]
    full = _int(data.get("staff_full_time"), "专职人员总数", errors, "staff_full_time")
    mid = _int(data.get("staff_mid_level"), "中级职称以上专职人员人数", errors, "staff_mid_level")
    senior = _int(data.get("staff_senior"), "高级职称人员人数", errors, "staff_senior")
    fields, raw_fields = {}, data.get("senior_fields") or {}
    for code, label in SENIOR_FIELDS:
        n = _int(raw_fields.get(code), f"{label}专业高级职称人数", errors, f"senior_{code}", required=False)
        if n:
            fields[code] = n
    if full is not None and mid is not None and mid > full:
        errors["staff_mid_level"] = ["中级职称以上专职人员不能多于专职人员总数。"]
    if mid is not None and senior is not None and senior > mid:
        errors["staff_senior"] = ["高级职称人员不能多于中级职称以上专职人员。"]
    if senior is not None and sum(fields.values()) > senior:
        errors["senior_fields"] = ["各专业高级职称人数之和不能多于高级职称人员人数。"]
    out.update(staff_full_time=full or 0, staff_mid_level=mid or 0, staff_senior=senior or 0, senior_fields=fields)
    experience = []
    for i, item in enumerate(data.get("experience") or [], start=1):
        year, client, work = (
            item.get("year"),
            str(item.get("client") or "").strip(),
            str(item.get("work") or "").strip(),
        )
        if year in (None, "") and not client and not work:
            continue
        try:
            year = int(year)
        except (TypeError, ValueError):
            errors.setdefault("experience", []).append(f"第{i}项工作经历：请填写年份。")
            continue
        if not 1990 <= year <= today.year:
            errors.setdefault("experience", []).append(f"第{i}项工作经历：年份{year}无效。")
        elif not client or not work:
            errors.setdefault("experience", []).append(f"第{i}项工作经历：请填写委托方和工作内容。")
        else:
            experience.append({"year": year, "client": client[:128], "work": work[:500]})
    if not experience and "experience" not in errors:
        errors["experience"] = ["请至少填写一项近五年的相关工作经历。"]
    out["experience"] = sorted(experience, key=lambda p: -p["year"])
    if errors:
        raise ValidationError(errors)
    return out


def _add_proof(*, actor, filing: AssessorFiling, kind: str, upload, title: str = "") -> AssessorFilingProof:
    if kind not in AssessorFilingProof.Kind.values:
        raise ValidationError({"proofs": ["请选择证明材料的类别。"]})
    detected, name, sha = _store(upload, folder="assessors/filings", accepted=PROOF_TYPES, max_bytes=PROOF_MAX_BYTES)
    try:
        proof = AssessorFilingProof(
            filing=filing,
            kind=kind,
            title=(title or "").strip()[:128],
            original_name=safe_name(upload.name),
            content_type=CONTENT_TYPES[detected],
            size=upload.size,
            sha256=sha,
            uploaded_by=actor if getattr(actor, "pk", None) else None,
        )
        proof.file.name = name
        proof.save()
    except Exception:
        default_storage.delete(name)  # nothing stored half-way
        raise
    return proof


def _filing_url(filing: AssessorFiling) -> str:
    return f"/assessors/filings/{filing.pk}/"


@transaction.atomic
def filing_submit(
    *,
    actor,
    assessor: Organization,
    authority: Organization,
    data: dict,
    proofs=(),
    previous: AssessorFiling | None = None,
    request=None,
) -> AssessorFiling:
    """File (备案) with a province: the declared conditions and proofs (pdf/jpg/png, checked by content).

    `proofs` is a list of (kind, upload). Filing again after a rejection or revocation names the previous filing
    as `previous`; its proofs are carried over, new ones are added.
    """
    _require_assessor(actor, assessor)
    _require_province(authority)
    if not authority.is_active:
        raise ValidationError({"authority": [f"{authority.name}已停用，不能向其备案。"]})
    cleaned = clean_filing_data(data)
    proofs = [(kind, upload) for kind, upload in proofs or () if upload is not None]
    for _, upload in proofs:  # every file is checked before anything is stored
        try:
            check_upload(upload, accepted=PROOF_TYPES, max_bytes=PROOF_MAX_BYTES)
        except ValidationError as exc:
            raise ValidationError({"proofs": exc.messages}) from exc
    if previous is not None:
        previous = AssessorFiling.objects.get(pk=previous.pk)
        if previous.assessor_id != assessor.pk or previous.authority_id != authority.pk:
            raise ValidationError("只能在本机构向同一主管部门的备案基础上重新备案。")
        if previous.status not in (AssessorFiling.Status.REJECTED, AssessorFiling.Status.REVOKED):
            raise ValidationError("只有未通过或已撤销的备案可以修改后重新提交。")
    carried = list(previous.proofs.all()) if previous is not None else []
    if not proofs and not carried:
        raise ValidationError({"proofs": ["请上传基本条件的证明材料（PDF、JPG 或 PNG）。"]})
    open_one = (
        AssessorFiling.objects.filter(assessor=assessor, authority=authority, status__in=AssessorFiling.OPEN)
        .order_by("-id")
        .first()
    )
    if open_one is not None:
        raise ValidationError(f"本机构已向{authority.name}备案（{open_one.get_status_display()}），无需重复提交。")
    filing = AssessorFiling(
        assessor=assessor,
        authority=authority,
        previous=previous,
        submitted_by=actor if getattr(actor, "pk", None) else None,
        **cleaned,
    )
    try:
        with transaction.atomic():
            filing.save()
    except IntegrityError as exc:  # a concurrent submission won
        raise ValidationError(f"本机构已向{authority.name}提交备案，无需重复提交。") from exc
    AssessorFilingProof.objects.bulk_create(
        [
            AssessorFilingProof(
                filing=filing,
                kind=p.kind,
                title=p.title,
                file=p.file.name,
                original_name=p.original_name,
                content_type=p.content_type,
                size=p.size,
                sha256=p.sha256,
                uploaded_by=p.uploaded_by,
            )
            for p in carried
        ]
    )
    stored = []
    try:
        for kind, upload in proofs:
            stored.append(_add_proof(actor=actor, filing=filing, kind=kind, upload=upload))
    except Exception:
        for proof in stored:
            default_storage.delete(proof.file.name)
        raise
    audit_record(
        actor=actor,
        verb="assessor_filing.submit",
        target=filing,
        organization=assessor,
        after=filing.status,
        reason=f"向{authority.name}备案" + (f"（修改后重新提交，原备案#{previous.pk}）" if previous else ""),
        request=request,
    )
    _notify_deciders(
        authority,
        title=f"{assessor.name}提交了第三方评价机构备案",
        body="请核对基本条件和证明材料后审核。",
        url=_filing_url(filing),
    )
    return filing


@transaction.atomic
def filing_proof_add(*, actor, filing: AssessorFiling, kind: str, upload, request=None) -> AssessorFilingProof:
    """Add a proof to a filing still waiting for the province's decision."""
    filing = AssessorFiling.objects.select_for_update(of=("self",)).select_related("assessor").get(pk=filing.pk)
    _require_assessor(actor, filing.assessor)
    if filing.status != AssessorFiling.Status.SUBMITTED:
        raise ValidationError(f"备案当前为“{filing.get_status_display()}”，不能再补充材料。")
    try:
        proof = _add_proof(actor=actor, filing=filing, kind=kind, upload=upload)
    except ValidationError as exc:
        raise ValidationError({"file": exc.messages}) from exc
    audit_record(
        actor=actor,
        verb="assessor_filing.proof_add",
        target=filing,
        organization=filing.assessor,
        after=proof.get_kind_display()[:64],
        reason=proof.original_name,
        request=request,
    )
    return proof


def _locked_filing(filing: AssessorFiling) -> AssessorFiling:
    return (
        AssessorFiling.objects.select_for_update(of=("self",)).select_related("assessor", "authority").get(pk=filing.pk)
    )


@transaction.atomic
def filing_decide(*, actor, filing: AssessorFiling, approve: bool, reason: str = "", request=None) -> AssessorFiling:
    """The province approves (备案) or rejects a submitted filing; a rejection needs its reason."""
    filing = _locked_filing(filing)
    _require_decider(actor, filing.authority, "审核评价机构备案")
    if filing.status != AssessorFiling.Status.SUBMITTED:
        raise ValidationError(f"备案当前为“{filing.get_status_display()}”，不能再审核。")
    reason = (reason or "").strip()
    if not approve and not reason:
        raise ValidationError({"reason": ["不予备案须填写理由，评价机构将据此修改后重新提交。"]})
    if approve:
        unmet = unmet_conditions(filing)
        if unmet:
            raise ValidationError(f"申报信息不满足基本条件，不能备案：{'；'.join(unmet)}。请填写理由后不予备案。")
    filing.status = AssessorFiling.Status.APPROVED if approve else AssessorFiling.Status.REJECTED
    filing.decided_by = actor if getattr(actor, "pk", None) else None
    filing.decided_at = timezone.now()
    filing.decision_reason = reason
    filing.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    audit_record(
        actor=actor,
        verb="assessor_filing.approve" if approve else "assessor_filing.reject",
        target=filing,
        organization=filing.authority,
        before=AssessorFiling.Status.SUBMITTED,
        after=filing.status,
        reason=reason,
        request=request,
    )
    verdict = "已予备案" if approve else "未通过备案"
    _notify_assessor(
        filing.assessor,
        title=f"{filing.authority.name}：{filing.assessor.name}{verdict}",
        body=reason or ("备案已通过，可在该省开展国家级绿色制造评价工作。" if approve else ""),
        url=_filing_url(filing),
    )
    if approve:
        assessor_facts_changed([filing.assessor_id])
    return filing


@transaction.atomic
def filing_revoke(*, actor, filing: AssessorFiling, reason: str, request=None) -> AssessorFiling:
    """The province revokes an approved filing, with its reason."""
    filing = _locked_filing(filing)
    _require_decider(actor, filing.authority, "撤销评价机构备案")
    if filing.status != AssessorFiling.Status.APPROVED:
        raise ValidationError(f"备案当前为“{filing.get_status_display()}”，只有已备案的可以撤销。")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ["撤销备案须填写理由。"]})
    filing.status = AssessorFiling.Status.REVOKED
    filing.revoked_by = actor if getattr(actor, "pk", None) else None
    filing.revoked_at = timezone.now()
    filing.revoke_reason = reason
    filing.save(update_fields=["status", "revoked_by", "revoked_at", "revoke_reason"])
    audit_record(
        actor=actor,
        verb="assessor_filing.revoke",
        target=filing,
        organization=filing.authority,
        before=AssessorFiling.Status.APPROVED,
        after=filing.status,
        reason=reason,
        request=request,
    )
    _notify_assessor(
        filing.assessor,
        title=f"{filing.authority.name}撤销了{filing.assessor.name}的备案",
        body=reason,
        url=_filing_url(filing),
    )
    assessor_facts_changed([filing.assessor_id])
    return filing
