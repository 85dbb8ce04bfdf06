"""Importing credit records (失信被执行人, 经营异常名录, 整改名单, accidents, green lists…) from xlsx or csv.

The file's type is decided by its content, never by its name: an xlsx is a zip holding xl/workbook.xml, anything
else is read as CSV text (UTF-8 with or without BOM, else GBK/GB18030). The header row carries Chinese column names.
Rows with problems are reported with their spreadsheet row number (the header is row 1 when it is the first row) and
a reason in Chinese; the good rows load; a row whose record already exists (kind + credit code + date + source +
category + level) is skipped, so importing the same file twice changes nothing. Where the same record comes back
with a different 整改/移出 status, the status is updated and the row noted. After commit, the applications whose
applicant, park member or assessor appears among the loaded codes are re-evaluated.
"""

import csv
import hashlib
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from activity.services import audit_record
from greenmfg.uploads import check_archive, safe_name
from organizations.credit_code import check_credit_code
from organizations.models import Membership, Organization
from organizations.selectors import memberships_of

from .models import CreditRecord, ImportBatch

KIND_LABELS = dict(CreditRecord.Kind.choices)
LIST_KINDS = {CreditRecord.Kind.GREEN_LIST, CreditRecord.Kind.REMOVED}
IMPORT_LEVELS = (Organization.Level.PROVINCE, Organization.Level.MINISTRY)
HEADER_SCAN_ROWS = 10  # a title row or two may sit above the header
REEVALUATE_CHUNK = 500
IMPORT_MAX_INFLATED = 256 * 1024 * 1024  # openpyxl holds the shared strings in memory
CODES_PER_QUERY = 500

# Column → accepted header names (after normalisation: no spaces, no "*", no bracketed hints).
COLUMNS: dict[str, tuple[str, ...]] = {
    "credit_code": ("统一社会信用代码", "社会信用代码", "信用代码", "统一代码"),
    "name": ("单位名称", "企业名称", "机构名称", "园区名称", "被执行人名称", "名称"),
    "occurred_on": ("日期", "列入日期", "发生日期", "认定日期", "立案日期", "公布日期", "发布日期"),
    "ended_on": ("移出日期", "整改完成日期", "整改日期", "结束日期"),
    "rectified": ("是否整改", "已整改", "已移出", "是否已整改", "是否移出", "是否已移出", "是否完成整改"),
    "source": ("来源", "数据来源", "信息来源"),
    "detail": ("说明", "备注", "情况说明"),
    "category": ("类别", "名单类别"),
    "level": ("层级", "名单层级", "级别"),
    "year": ("年度",),
}
COLUMN_LABELS = {
    "credit_code": "统一社会信用代码",
    "occurred_on": "日期（列入日期/发生日期）",
    "source": "来源",
    "category": "类别",
    "level": "层级",
}
CATEGORIES = {
    "绿色工厂": "factory",
    "工厂": "factory",
    "绿色工业园区": "park",
    "绿色园区": "park",
    "工业园区": "park",
    "绿色供应链管理企业": "supply_chain",
    "绿色供应链": "supply_chain",
    "供应链": "supply_chain",
    "绿色设计产品": "product",
    "绿色产品": "product",
    "factory": "factory",
    "park": "park",
    "supply_chain": "supply_chain",
    "product": "product",
}
LEVELS = {
    "市级": "city",
    "市": "city",
    "省级": "province",
    "省": "province",
    "国家级": "national",
    "国家": "national",
    "部级": "national",
    "city": "city",
    "province": "province",
    "national": "national",
}
YES = {"是", "y", "yes", "true", "1", "√", "已整改", "已移出", "已完成", "完成"}
NO = {"否", "n", "no", "false", "0", "×", "未整改", "未移出", "未完成", ""}
DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$")
YEAR_RE = re.compile(r"^(\d{4})\s*(?:年度?)?$")


@dataclass
class Parsed:
    rows_total: int = 0
    records: list[tuple[int, dict]] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)


def can_import(user) -> bool:
    """Superusers, and the admins of a province-level or ministry authority."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    return any(
        m.role == Membership.Role.ADMIN
        and m.organization.kind == Organization.Kind.AUTHORITY
        and m.organization.level in IMPORT_LEVELS
        for m in memberships_of(user)
    )


def kind_from_text(value: str) -> str | None:
    """A kind given by its code (dishonest) or its Chinese label (失信被执行人)."""
    value = (value or "").strip()
    if value in KIND_LABELS:
        return value
    return next((code for code, label in KIND_LABELS.items() if label == value), None)


def kinds_help() -> str:
    return "；".join(f"{code}（{label}）" for code, label in KIND_LABELS.items())


# Reading the file.


def _read_input(upload_or_path) -> tuple[str, bytes]:
    if isinstance(upload_or_path, str | Path):
        path = Path(upload_or_path)
        try:
            return path.name, path.read_bytes()
        except FileNotFoundError as exc:
            raise ValidationError(f"文件“{path}”不存在。") from exc
        except IsADirectoryError as exc:
            raise ValidationError(f"“{path}”是文件夹，不是文件。") from exc
        except OSError as exc:
            raise ValidationError(f"无法读取文件“{path}”：{exc.strerror or exc}。") from exc
    name = safe_name(getattr(upload_or_path, "name", ""), default="上传文件")
    if hasattr(upload_or_path, "seek"):
        upload_or_path.seek(0)
    if hasattr(upload_or_path, "chunks"):
        content = b"".join(upload_or_path.chunks())
    else:
        content = upload_or_path.read()
    return name, content


def _is_xlsx(content: bytes) -> bool:
    if not content.startswith(b"PK\x03\x04"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return "xl/workbook.xml" in archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return False


def _xlsx_rows(content: bytes, name: str):
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a damaged workbook
        raise ValidationError(f"文件“{name}”是 Excel 工作簿，但无法读取（文件可能已损坏）。") from exc
    try:
        sheet = workbook.active or workbook.worksheets[0]
        sheet.reset_dimensions()  # some writers record wrong dimensions; read every row
        rows = [list(row) for row in sheet.iter_rows(min_row=1, values_only=True)]
    finally:
        workbook.close()
    return rows


def _decode(content: bytes) -> str | None:
    if b"\x00" in content[:4096]:
        return None  # binary, or UTF-16 which spreadsheet programs rarely write for CSV
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _csv_rows(content: bytes, name: str) -> list[list]:
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        raise ValidationError(f"文件“{name}”是旧版 Excel（xls）文件，请另存为 xlsx 或 CSV（UTF-8）后再导入。")
    if content.startswith(b"PK\x03\x04"):
        raise ValidationError(f"文件“{name}”是压缩包或其他文档，不是 Excel 工作簿（xlsx），也不是 CSV 文本。")
    text = _decode(content)
    if text is None:
        raise ValidationError(
            f"文件“{name}”无法识别：既不是 Excel 工作簿（xlsx），也不是 UTF-8 或 GBK 编码的 CSV 文本。"
        )
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    try:
        return [list(row) for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    except csv.Error as exc:
        raise ValidationError(f"文件“{name}”不是有效的 CSV 文本：{exc}。") from exc


def _norm_header(value) -> str:
    text = "".join(str(value or "").split())
    text = re.sub(r"[（(][^）)]*[）)]", "", text)
    return text.strip("*＊:：")


def _blank(row) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in row)


def _find_header(rows: list[list]) -> tuple[int, dict[str, int]] | None:
    for index, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        headers = [_norm_header(v) for v in row]
        if not any(h in COLUMNS["credit_code"] for h in headers):
            continue
        mapping: dict[str, int] = {}
        for column, aliases in COLUMNS.items():
            for alias in aliases:  # aliases in order of preference
                if alias in headers:
                    mapping[column] = headers.index(alias)
                    break
        return index, mapping
    return None


# Cells.


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        value = value.date()
    return str(value).strip()


def _date(value) -> date | None:
    """A date from a date/datetime cell, an Excel serial number, or text; None when blank; ValueError if invalid."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if not 1 <= value < 2958466:
            raise ValueError(value)
        from openpyxl.utils.datetime import from_excel

        return from_excel(value).date()
    text = str(value).strip()
    match = DATE_RE.match(text)
    if match:
        return date(*(int(g) for g in match.groups()))
    if re.fullmatch(r"\d{8}", text):
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    if re.fullmatch(r"\d{5}(\.\d+)?", text):  # a serial number that arrived as text
        return _date(float(text))
    raise ValueError(text)


def _bool(value) -> bool | None:
    if isinstance(value, bool):
        return value
    text = _text(value).lower()
    if text in YES:
        return True
    if text in NO:
        return False
    return None


def _year(value) -> str | None:
    match = YEAR_RE.match(_text(value))
    if match and 1990 <= int(match.group(1)) <= 2100:
        return match.group(1)
    return None


def _cell(row, mapping, column):
    index = mapping.get(column)
    if index is None or index >= len(row):
        return None
    return row[index]


def _parse_row(row, mapping, *, kind: str, source_default: str, today: date) -> tuple[dict | None, list[str], str]:
    """(record fields or None, problems, warning)."""
    problems, warning = [], ""
    raw_code = _text(_cell(row, mapping, "credit_code"))
    check = check_credit_code(raw_code)
    if not raw_code:
        problems.append("缺少统一社会信用代码")
    elif check.errors:
        problems.append(f"统一社会信用代码“{raw_code}”有误：{''.join(check.errors)}")
    elif check.warning:
        warning = f"统一社会信用代码“{check.value}”{check.warning.split('。')[0]}，已按原样导入，请核对。"

    raw_date = _cell(row, mapping, "occurred_on")
    occurred_on = None
    try:
        occurred_on = _date(raw_date)
    except (ValueError, OverflowError):
        problems.append(f"日期“{_text(raw_date)}”无效，应为 2024-05-17、2024/5/17 或 2024年5月17日")
    else:
        if occurred_on is None:
            problems.append("缺少日期")
        elif occurred_on > today:
            problems.append(f"日期{occurred_on.isoformat()}晚于今天")

    raw_end = _cell(row, mapping, "ended_on")
    ended_on = None
    try:
        ended_on = _date(raw_end)
    except (ValueError, OverflowError):
        problems.append(f"移出/整改完成日期“{_text(raw_end)}”无效")
    else:
        if ended_on and occurred_on and ended_on < occurred_on:
            problems.append(f"移出/整改完成日期{ended_on.isoformat()}早于列入日期{occurred_on.isoformat()}")

    raw_rectified = _cell(row, mapping, "rectified")
    rectified = _bool(raw_rectified)
    if rectified is None:
        problems.append(f"是否整改/移出“{_text(raw_rectified)}”无法识别，应填写“是”或“否”")
    elif not _text(raw_rectified) and ended_on is not None:
        rectified = True  # a completion date says it was rectified / removed

    source = _text(_cell(row, mapping, "source")) or source_default.strip()
    if not source:
        problems.append("缺少来源")
    elif len(source) > 200:
        problems.append("来源超过200字")

    category = level = ""
    if kind in LIST_KINDS:
        raw_category = _text(_cell(row, mapping, "category"))
        category = CATEGORIES.get(raw_category.replace(" ", ""), "")
        if not raw_category:
            problems.append("缺少类别")
        elif not category:
            problems.append(
                f"类别“{raw_category}”无法识别，应为绿色工厂、绿色工业园区、绿色供应链管理企业或绿色设计产品"
            )
        raw_level = _text(_cell(row, mapping, "level"))
        level = LEVELS.get(raw_level.replace(" ", ""), "")
        if not raw_level:
            problems.append("缺少层级")
        elif not level:
            problems.append(f"层级“{raw_level}”无法识别，应为市级、省级或国家级")
    elif kind == CreditRecord.Kind.ASSESSOR_REPORT:
        raw_year = _cell(row, mapping, "year")
        if _text(raw_year) == "":
            raw_year = _cell(row, mapping, "category")
        if _text(raw_year):
            category = _year(raw_year) or ""
            if not category:
                problems.append(f"年度“{_text(raw_year)}”无效，应为四位年份，如 2024")

    if problems:
        return None, problems, warning
    return (
        {
            "kind": kind,
            "credit_code": check.value,
            "name": _text(_cell(row, mapping, "name"))[:128],
            "occurred_on": occurred_on,
            "ended_on": ended_on,
            "rectified": bool(rectified),
            "category": category,
            "level": level,
            "source": source,
            "detail": _text(_cell(row, mapping, "detail")),
        },
        [],
        warning,
    )


def parse(content: bytes, *, name: str, kind: str, source_default: str = "") -> Parsed:
    """Read and check every row; raises ValidationError (Chinese) when the file as a whole cannot be used."""
    if not content:
        raise ValidationError(f"文件“{name}”是空的。")
    if content.startswith(b"PK\x03\x04"):  # a zip bomb is refused before zipfile or openpyxl read it
        check_archive(io.BytesIO(content), name=name, max_inflated=IMPORT_MAX_INFLATED)
    if _is_xlsx(content):
        rows, read_as = _xlsx_rows(content, name), "Excel 工作簿"
    else:
        rows, read_as = _csv_rows(content, name), "CSV 文本"
        if name.lower().endswith((".xlsx", ".xlsm", ".xls")):
            read_as = "CSV 文本（文件名是 Excel，但实际内容不是 Excel 工作簿）"
    found = _find_header(rows)
    if found is None:
        raise ValidationError(
            f"文件“{name}”按内容识别为{read_as}，但前{HEADER_SCAN_ROWS}行中找不到含“统一社会信用代码”的表头行。"
            f"请使用第一行为表头的 xlsx 或 CSV 文件。"
        )
    header_index, mapping = found
    required = ["credit_code", "occurred_on"]
    if not source_default.strip():
        required.append("source")
    if kind in LIST_KINDS:
        required += ["category", "level"]
    missing = [c for c in required if c not in mapping]
    if missing:
        hint = "（或在导入时填写默认来源）" if "source" in missing else ""
        missing = [COLUMN_LABELS[c] for c in missing]
        raise ValidationError(f"文件“{name}”的表头（第{header_index + 1}行）缺少必需的列：{'、'.join(missing)}{hint}。")

    parsed = Parsed()
    today = timezone.localdate()
    for index in range(header_index + 1, len(rows)):
        row = rows[index]
        if _blank(row):
            continue
        number = index + 1
        parsed.rows_total += 1
        record, problems, warning = _parse_row(row, mapping, kind=kind, source_default=source_default, today=today)
        if problems:
            parsed.errors.append({"row": number, "reason": "；".join(p.rstrip("。") for p in problems) + "。"})
            continue
        if warning:
            parsed.errors.append({"row": number, "reason": warning, "warning": True})
        parsed.records.append((number, record))
    return parsed


# Loading.

KEY = ("kind", "credit_code", "occurred_on", "source", "category", "level")


def _key(fields: dict) -> tuple:
    return tuple(fields[k] for k in KEY)


def _existing(kind: str, codes: set[str]) -> dict[tuple, CreditRecord]:
    """The records already stored for these codes (one query per 500 codes)."""
    found = {}
    ordered = sorted(codes)
    for start in range(0, len(ordered), CODES_PER_QUERY):
        for r in CreditRecord.objects.filter(kind=kind, credit_code__in=ordered[start : start + CODES_PER_QUERY]):
            found[(r.kind, r.credit_code, r.occurred_on, r.source, r.category, r.level)] = r
    return found


def affected_application_ids(batch: ImportBatch) -> list[int]:
    """Applications whose applicant, park member or active assessor holds one of the batch's codes (4 queries)."""
    from applications.models import Application, Engagement

    codes_qs = CreditRecord.objects.filter(batch=batch).values("credit_code")
    codes = set(codes_qs.values_list("credit_code", flat=True).distinct())
    if not codes:
        return []
    ids = set(Application.objects.filter(applicant__credit_code__in=codes_qs).values_list("pk", flat=True))
    ids |= set(
        Engagement.objects.filter(
            assessor__credit_code__in=codes_qs,
            status__in=[Engagement.Status.PENDING, Engagement.Status.ACCEPTED],
        ).values_list("application_id", flat=True)
    )
    for pk, members in Application.objects.filter(category="park", data__has_key="member_credit_codes").values_list(
        "pk", "data__member_credit_codes"
    ):
        if isinstance(members, str) and codes.intersection(c.strip().upper() for c in members.splitlines()):
            ids.add(pk)
    return sorted(ids)


def _reevaluate(ids: list[int]) -> None:
    from .tasks import evaluate_applications

    for start in range(0, len(ids), REEVALUATE_CHUNK):
        evaluate_applications.delay(ids[start : start + REEVALUATE_CHUNK])


def credit_records_import(*, actor, kind, upload_or_path, source_default="", request=None) -> ImportBatch:
    """Import one file of credit records of one kind; returns the ImportBatch with totals and row errors.

    actor=None is the system (the management command). Raises PermissionDenied, or ValidationError when the file
    as a whole cannot be used (unknown kind, unreadable file, missing columns); row problems go into batch.errors.
    """
    if actor is not None and not can_import(actor):
        raise PermissionDenied("只有系统管理员或省级、部级主管部门的管理员可以导入信用记录。")
    if kind not in KIND_LABELS:
        raise ValidationError(f"未知的记录类型“{kind}”。可选：{kinds_help()}")
    source_default = (source_default or "").strip()
    if len(source_default) > 200:
        raise ValidationError("默认来源不能超过200字。")
    name, content = _read_input(upload_or_path)
    parsed = parse(content, name=name, kind=kind, source_default=source_default)

    with transaction.atomic():
        batch = ImportBatch.objects.create(
            kind=kind,
            file_name=name[:255],
            sha256=hashlib.sha256(content).hexdigest(),
            rows_total=parsed.rows_total,
            imported_by=actor if getattr(actor, "pk", None) else None,
        )
        existing = _existing(kind, {fields["credit_code"] for _, fields in parsed.records})
        seen, new, changed, notes = set(), [], [], []
        for number, fields in parsed.records:
            key = _key(fields)
            if key in seen:
                continue  # the same record twice in the file: skipped
            seen.add(key)
            old = existing.get(key)
            if old is None:
                new.append(CreditRecord(batch=batch, **fields))
            elif (old.rectified, old.ended_on) != (fields["rectified"], fields["ended_on"]):
                old.rectified, old.ended_on, old.batch = fields["rectified"], fields["ended_on"], batch
                changed.append(old)
                notes.append({"row": number, "reason": "已有相同记录，已按本文件更新整改/移出情况。", "warning": True})
        # ignore_conflicts: a record stored meanwhile by a concurrent import is skipped, not an error.
        CreditRecord.objects.bulk_create(new, ignore_conflicts=True, batch_size=1000)
        CreditRecord.objects.bulk_update(changed, ["rectified", "ended_on", "batch"], batch_size=1000)
        batch.rows_loaded = CreditRecord.objects.filter(batch=batch).count()
        batch.rows_skipped = len(parsed.records) - batch.rows_loaded
        batch.errors = sorted(parsed.errors + notes, key=lambda e: (e["row"], e.get("warning", False)))
        batch.save(update_fields=["rows_loaded", "rows_skipped", "errors"])
        bad_rows = sum(1 for e in batch.errors if not e.get("warning"))
        audit_record(
            actor=actor,
            verb="eligibility.import",
            target=batch,
            after=f"{KIND_LABELS[kind]}：导入{batch.rows_loaded}条，重复跳过{batch.rows_skipped}条，错误{bad_rows}行",
            reason=name[:200],
            request=request,
        )
        ids = affected_application_ids(batch)
        if ids:
            transaction.on_commit(lambda: _reevaluate(ids))
    return batch


def row_errors(batch: ImportBatch) -> list[dict]:
    return [e for e in batch.errors if not e.get("warning")]


def row_notes(batch: ImportBatch) -> list[dict]:
    return [e for e in batch.errors if e.get("warning")]
