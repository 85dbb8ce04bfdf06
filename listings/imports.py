"""Importing historical green manufacturing lists from xlsx, keyed by 统一社会信用代码.

The layout (first row the header; a title row or two above it is allowed): 统一社会信用代码, 单位名称, 类别, 层级,
年度, 列入日期 (optional: 12-31 of the year), 批次/文号, 状态 (有效/已移出), 移出日期, 移出原因. Every problem is
reported with its spreadsheet row number and column, in Chinese; the good rows load. A row whose entry already
exists (credit code + category + level + year) is skipped, so importing the same file again changes nothing.

Who imports what: a city its city list, a province its province list and the national entries of its units, the
ministry anything; always units of the importing authority's jurisdiction. A code with no organization yet creates
the enterprise (or park, for the park category) in the region of the code's characters 3–8 (登记管理机关行政区划码),
else in the importing authority's region, with no competent authority; the batch records the units it created.
The spreadsheet reading (cells, dates, header aliases) is eligibility.imports', the portal's one xlsx reader.
"""

import hashlib
import io
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from activity.services import audit_record
from eligibility.imports import CATEGORIES, LEVELS, _blank, _date, _norm_header, _text, _xlsx_rows
from greenmfg.uploads import check_upload, safe_name
from organizations.credit_code import check_credit_code
from organizations.models import Membership, Organization, Region
from organizations.selectors import authority_subtree_ids, memberships_of
from organizations.services import _ensure_group

from .models import Listing, ListingImport
from .services import reevaluate_units

MAX_BYTES = 20 * 1024 * 1024
IMPORT_MAX_INFLATED = 256 * 1024 * 1024  # openpyxl holds the shared strings in memory
HEADER_SCAN_ROWS = 10
FIRST_YEAR = 2016  # the first green manufacturing lists were published for 2016 (工信部 2016年第一批)
CODES_PER_QUERY = 500
IMPORT_LEVELS = (Organization.Level.CITY, Organization.Level.PROVINCE, Organization.Level.MINISTRY)
LEVEL_RANK = {"city": 1, "province": 2, "national": 3}
LEVEL_LABELS = dict(Listing.Level.choices)
CATEGORY_LABELS = dict(Listing._meta.get_field("category").choices)
STATUSES = {
    "有效": Listing.Status.ACTIVE,
    "在列": Listing.Status.ACTIVE,
    "正常": Listing.Status.ACTIVE,
    "active": Listing.Status.ACTIVE,
    "已移出": Listing.Status.REMOVED,
    "移出": Listing.Status.REMOVED,
    "撤销": Listing.Status.REMOVED,
    "removed": Listing.Status.REMOVED,
}


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    aliases: tuple[str, ...]
    required: bool = False
    example: object = ""


COLUMNS = (
    Column(
        "credit_code", "统一社会信用代码", ("统一社会信用代码", "社会信用代码", "信用代码"), True, "91140105MA0XXXXXXX"
    ),
    Column("name", "单位名称", ("单位名称", "企业名称", "园区名称", "名称"), True, "山西示例制造有限公司"),
    Column("category", "类别", ("类别", "名单类别"), True, "绿色工厂"),
    Column("level", "层级", ("层级", "名单层级", "级别"), True, "省级"),
    Column("year", "年度", ("年度", "名单年度"), True, 2022),
    Column("listed_on", "列入日期", ("列入日期", "公布日期", "发布日期"), False, "2022-12-30"),
    Column("reference", "批次/文号", ("批次/文号", "批次", "文号", "批次文号"), False, "晋工信节能字〔2022〕120号"),
    Column("status", "状态", ("状态", "名单状态"), False, "有效"),
    Column("removed_on", "移出日期", ("移出日期",), False, ""),
    Column("removal_reason", "移出原因", ("移出原因", "移出理由"), False, ""),
)
LABEL = {c.key: c.label for c in COLUMNS}


# Who may import what.


def importing_authorities(user) -> list[Organization]:
    """The authorities (city, province, ministry) the user may import lists for as approver or admin."""
    if not getattr(user, "is_authenticated", False):
        return []
    return [
        m.organization
        for m in memberships_of(user)
        if m.organization.kind == Organization.Kind.AUTHORITY
        and m.organization.level in IMPORT_LEVELS
        and m.role in (Membership.Role.APPROVER, Membership.Role.ADMIN)
    ]


def can_import(user, authority: Organization | None = None) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if authority is None:
        return user.is_superuser or bool(importing_authorities(user))
    if authority.kind != Organization.Kind.AUTHORITY or authority.level not in IMPORT_LEVELS:
        return False
    return user.is_superuser or any(a.pk == authority.pk for a in importing_authorities(user))


def allowed_levels(authority: Organization) -> set[str]:
    """A city imports its city list, a province its province list and national entries, the ministry any list."""
    return {
        Organization.Level.CITY: {"city"},
        Organization.Level.PROVINCE: {"province", "national"},
        Organization.Level.MINISTRY: {"city", "province", "national"},
    }.get(authority.level, set())


def levels_help(authority: Organization) -> str:
    return "、".join(LEVEL_LABELS[lv] for lv in ("city", "province", "national") if lv in allowed_levels(authority))


# The template.


def template_xlsx() -> bytes:
    """The import layout: header row, one example row, and a sheet of instructions."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "名单"
    sheet.append([c.label for c in COLUMNS])
    sheet.append([c.example for c in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for index, column in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = 28 if column.required else 18
    notes = book.create_sheet("填写说明")
    for line in (
        ("列", "是否必填", "说明"),
        ("统一社会信用代码", "必填", "18位，GB 32100-2015；同一单位同一类别、层级、年度只列一行"),
        ("单位名称", "必填", "列入名单时的名称"),
        ("类别", "必填", "绿色工厂、绿色工业园区、绿色供应链管理企业或绿色设计产品"),
        ("层级", "必填", "市级、省级或国家级；市级主管部门只导入本市名单，省级导入本省名单和本省单位的国家级名单"),
        ("年度", "必填", f"四位年份，{FIRST_YEAR}年至今"),
        ("列入日期", "选填", "如 2022-12-30；不填按年度的12月31日"),
        ("批次/文号", "选填", "公布名单的批次或文件文号"),
        ("状态", "选填", "有效或已移出；不填为有效（填写了移出日期的视为已移出）"),
        ("移出日期", "已移出时必填", "如 2024-06-30"),
        ("移出原因", "选填", "动态管理中移出的原因"),
    ):
        notes.append(line)
    notes.column_dimensions["A"].width = 18
    notes.column_dimensions["C"].width = 80
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# Reading.


@dataclass
class Parsed:
    rows_total: int = 0
    rows: list[tuple[int, dict]] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)


def _find_header(rows: list[list]) -> tuple[int, dict[str, int]] | None:
    for index, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        headers = [_norm_header(v) for v in row]
        if not any(h in COLUMNS[0].aliases for h in headers):
            continue
        mapping: dict[str, int] = {}
        for column in COLUMNS:
            for alias in column.aliases:
                if _norm_header(alias) in headers:
                    mapping[column.key] = headers.index(_norm_header(alias))
                    break
        return index, mapping
    return None


def _cell(row, mapping, key):
    index = mapping.get(key)
    if index is None or index >= len(row):
        return None
    return row[index]


def _problem(number: int, key: str, reason: str, **extra) -> dict:
    return {"row": number, "column": LABEL[key], "reason": reason, **extra}


def _parse_row(number: int, row, mapping, today: date) -> tuple[dict | None, list[dict]]:
    problems: list[dict] = []
    out: dict = {}

    raw_code = _text(_cell(row, mapping, "credit_code"))
    check = check_credit_code(raw_code)
    if not raw_code:
        problems.append(_problem(number, "credit_code", "缺少统一社会信用代码。"))
    elif check.errors:
        problems.append(_problem(number, "credit_code", f"“{raw_code}”有误：{''.join(check.errors)}"))
    elif check.warning:
        problems.append(
            _problem(
                number,
                "credit_code",
                f"“{check.value}”{check.warning.split('。')[0]}，已按原样导入，请核对。",
                warning=True,
            )
        )
    out["credit_code"] = check.value

    out["name"] = " ".join(_text(_cell(row, mapping, "name")).split())
    if len(out["name"]) > 128:
        problems.append(_problem(number, "name", "单位名称超过128个字。"))

    raw = _text(_cell(row, mapping, "category"))
    out["category"] = CATEGORIES.get(raw.replace(" ", ""), "")
    if not raw:
        problems.append(_problem(number, "category", "缺少类别。"))
    elif not out["category"]:
        problems.append(
            _problem(
                number, "category", f"“{raw}”无法识别，应为绿色工厂、绿色工业园区、绿色供应链管理企业或绿色设计产品。"
            )
        )

    raw = _text(_cell(row, mapping, "level"))
    out["level"] = LEVELS.get(raw.replace(" ", ""), "")
    if not raw:
        problems.append(_problem(number, "level", "缺少层级。"))
    elif not out["level"]:
        problems.append(_problem(number, "level", f"“{raw}”无法识别，应为市级、省级或国家级。"))

    raw = _text(_cell(row, mapping, "year")).removesuffix("年度").removesuffix("年")
    out["year"] = int(raw) if raw.isdigit() else None
    if not raw:
        problems.append(_problem(number, "year", "缺少年度。"))
    elif out["year"] is None or not FIRST_YEAR <= out["year"] <= today.year:
        problems.append(_problem(number, "year", f"“{raw}”无效，应为{FIRST_YEAR}年至{today.year}年之间的四位年份。"))
        out["year"] = None

    raw = _cell(row, mapping, "listed_on")
    try:
        out["listed_on"] = _date(raw)
    except (ValueError, OverflowError):
        problems.append(
            _problem(number, "listed_on", f"“{_text(raw)}”无效，应为 2022-12-30、2022/12/30 或 2022年12月30日。")
        )
        out["listed_on"] = None
    else:
        if out["listed_on"] is None and out["year"]:
            out["listed_on"] = min(date(out["year"], 12, 31), today)
        elif out["listed_on"] is not None:
            if out["listed_on"] > today:
                problems.append(_problem(number, "listed_on", f"列入日期{out['listed_on']}晚于今天。"))
            elif out["year"] and out["listed_on"].year not in (out["year"], out["year"] + 1):
                problems.append(
                    _problem(
                        number, "listed_on", f"列入日期{out['listed_on']}与年度{out['year']}不符（应在当年或次年）。"
                    )
                )

    out["reference"] = _text(_cell(row, mapping, "reference"))
    if len(out["reference"]) > 128:
        problems.append(_problem(number, "reference", "批次/文号超过128个字。"))

    raw_removed = _cell(row, mapping, "removed_on")
    try:
        out["removed_on"] = _date(raw_removed)
    except (ValueError, OverflowError):
        problems.append(_problem(number, "removed_on", f"“{_text(raw_removed)}”无效，应为 2024-06-30 等日期格式。"))
        out["removed_on"] = None
    raw = _text(_cell(row, mapping, "status")).replace(" ", "")
    status = STATUSES.get(raw.lower()) if raw else None
    if raw and status is None:
        problems.append(_problem(number, "status", f"“{raw}”无法识别，应为“有效”或“已移出”。"))
    status = status or (Listing.Status.REMOVED if out["removed_on"] else Listing.Status.ACTIVE)
    out["status"] = status
    out["removal_reason"] = _text(_cell(row, mapping, "removal_reason"))
    if status == Listing.Status.REMOVED:
        if out["removed_on"] is None and not _text(raw_removed):
            problems.append(_problem(number, "removed_on", "状态为已移出，须填写移出日期。"))
        elif out["removed_on"] is not None:
            if out["removed_on"] > today:
                problems.append(_problem(number, "removed_on", f"移出日期{out['removed_on']}晚于今天。"))
            elif out["listed_on"] and out["removed_on"] < out["listed_on"]:
                problems.append(
                    _problem(number, "removed_on", f"移出日期{out['removed_on']}早于列入日期{out['listed_on']}。")
                )
    elif out["removed_on"] is not None:
        problems.append(_problem(number, "status", "状态为有效，但填写了移出日期。"))

    errors = [p for p in problems if not p.get("warning")]
    return (None if errors else out), problems


def parse(content: bytes, *, name: str) -> Parsed:
    """Read and check every row; raises ValidationError (Chinese) when the file as a whole cannot be used."""
    rows = _xlsx_rows(content, name)
    found = _find_header(rows)
    if found is None:
        raise ValidationError(
            f"文件“{name}”前{HEADER_SCAN_ROWS}行中找不到含“统一社会信用代码”的表头行。请使用导入模板，第一行为表头。"
        )
    header_index, mapping = found
    missing = [c.label for c in COLUMNS if c.required and c.key not in mapping]
    if missing:
        raise ValidationError(f"文件“{name}”的表头（第{header_index + 1}行）缺少必需的列：{'、'.join(missing)}。")
    parsed = Parsed()
    today = timezone.localdate()
    first_row: dict[tuple, int] = {}
    for index in range(header_index + 1, len(rows)):
        row = rows[index]
        if _blank(row):
            continue
        number = index + 1
        parsed.rows_total += 1
        fields, problems = _parse_row(number, row, mapping, today)
        parsed.errors.extend(problems)
        if fields is None:
            continue
        key = (fields["credit_code"], fields["category"], fields["level"], fields["year"])
        if key in first_row:
            parsed.errors.append(
                _problem(number, "credit_code", f"与第{first_row[key]}行重复（同一单位、类别、层级、年度），未导入。")
            )
            continue
        first_row[key] = number
        parsed.rows.append((number, fields))
    return parsed


# Loading.


def _existing(codes: set[str]) -> dict[tuple, tuple[int | None, str]]:
    """Entries already stored for these codes, by (code, category, level, year) (one query per 500 codes)."""
    found: dict[tuple, Listing] = {}
    ordered = sorted(codes)
    for start in range(0, len(ordered), CODES_PER_QUERY):
        chunk = ordered[start : start + CODES_PER_QUERY]
        qs = Listing.objects.filter(Q(credit_code__in=chunk) | Q(organization__credit_code__in=chunk)).values_list(
            "pk", "credit_code", "organization__credit_code", "category", "level", "year", "status"
        )
        for pk, code, org_code, category, level, year, status in qs:
            for c in {code, org_code} - {""}:
                found.setdefault((c, category, level, year), (pk, status))
    return found


def _organizations(codes: set[str]) -> dict[str, Organization]:
    found = {}
    ordered = sorted(codes)
    for start in range(0, len(ordered), CODES_PER_QUERY):
        for org in Organization.objects.filter(credit_code__in=ordered[start : start + CODES_PER_QUERY]):
            found[org.credit_code] = org
    return found


class _Jurisdiction:
    """Whether a unit lies under the importing authority: attached to its subtree, or (no competent authority) in
    its region. The ministry's is everything."""

    def __init__(self, authority: Organization):
        self.everything = authority.level == Organization.Level.MINISTRY
        self.subtree = set() if self.everything else authority_subtree_ids([authority.pk])
        self.prefix = authority.region.prefix

    def holds(self, *, region_id: str, competent_authority_id: int | None) -> bool:
        if self.everything:
            return True
        if competent_authority_id is not None:
            return competent_authority_id in self.subtree
        return region_id.startswith(self.prefix)


def _deciding_authority(authority: Organization, level: str) -> Organization:
    """The importing authority; national entries imported by a province are the ministry's decision."""
    if level == "national" and authority.level != Organization.Level.MINISTRY:
        ministry = (
            Organization.objects.filter(
                kind=Organization.Kind.AUTHORITY, level=Organization.Level.MINISTRY, is_active=True
            )
            .order_by("id")
            .first()
        )
        return ministry or authority
    return authority


def _unit_create(*, actor, kind: str, name: str, code: str, region_id: str, request) -> Organization:
    """A listed unit the portal does not know yet, as the list names it. It has no competent authority until an
    authority attaches it (organization.create is audited as when created by hand)."""
    org = Organization.objects.create(kind=kind, name=name, credit_code=code, region_id=region_id)
    _ensure_group(org)
    audit_record(
        actor=actor,
        verb="organization.create",
        target=org,
        organization=org,
        after=org.kind,
        reason="导入历史名单时新建，尚未指定属地主管部门",
        request=request,
    )
    return org


def listings_import(*, actor, authority: Organization, upload, request=None) -> ListingImport:
    """Import one xlsx of list entries for `authority`; returns the batch with totals and row errors.

    Raises PermissionDenied, or ValidationError when the file as a whole cannot be used; row problems go into
    batch.errors as {"row", "column", "reason"} (with "warning": True for notes that did not stop the row)."""
    if not can_import(actor, authority):
        raise PermissionDenied("只有市级、省级、部级主管部门的审核人或管理员可以导入历史名单。")
    check_upload(upload, accepted=["xlsx"], max_bytes=MAX_BYTES, max_inflated=IMPORT_MAX_INFLATED)
    upload.seek(0)
    content = b"".join(upload.chunks()) if hasattr(upload, "chunks") else upload.read()
    name = safe_name(getattr(upload, "name", ""), default="名单.xlsx")
    parsed = parse(content, name=name)
    try:
        return _load(actor=actor, authority=authority, parsed=parsed, name=name, content=content, request=request)
    except IntegrityError as exc:  # the same entry stored meanwhile by a concurrent import
        raise ValidationError("同一名单正由其他用户同时导入，请稍后重新导入本文件（已存在的行将自动跳过）。") from exc


@transaction.atomic
def _load(*, actor, authority, parsed: Parsed, name: str, content: bytes, request) -> ListingImport:
    # Imports by the same authority run one after another.
    Organization.objects.select_for_update(of=("self",)).filter(pk=authority.pk).first()
    batch = ListingImport.objects.create(
        authority=authority,
        file_name=name,
        sha256=hashlib.sha256(content).hexdigest(),
        rows_total=parsed.rows_total,
        imported_by=actor if getattr(actor, "pk", None) else None,
    )
    codes = {fields["credit_code"] for _, fields in parsed.rows}
    existing = _existing(codes)
    organizations = _organizations(codes)
    regions = set(
        Region.objects.filter(code__in={c[2:8] for c in codes if c not in organizations}).values_list("code", flat=True)
    )
    allowed = allowed_levels(authority)
    within = _Jurisdiction(authority)
    errors, notes, new, created, skipped = list(parsed.errors), [], [], [], 0
    deciding = {level: _deciding_authority(authority, level) for level in allowed}
    for number, fields in parsed.rows:
        code, category, level = fields["credit_code"], fields["category"], fields["level"]
        if level not in allowed:
            errors.append(
                _problem(
                    number,
                    "level",
                    f"{authority.name}只能导入{levels_help(authority)}名单，不能导入{LEVEL_LABELS[level]}名单。",
                )
            )
            continue
        found = existing.get((code, category, level, fields["year"]))
        if found is not None:
            skipped += 1
            if found[1] != fields["status"]:
                notes.append(
                    _problem(
                        number,
                        "status",
                        f"名单中已有该条目（状态：{Listing.Status(found[1]).label}），本次未更改；移出请通过动态管理办理。",
                        warning=True,
                    )
                )
            continue
        org = organizations.get(code)
        wanted_kind = Organization.Kind.PARK if category == "park" else Organization.Kind.ENTERPRISE
        if org is not None:
            if org.kind != wanted_kind:
                errors.append(
                    _problem(
                        number,
                        "category",
                        f"该信用代码登记为{org.get_kind_display()}“{org.name}”，不能列入{CATEGORY_LABELS[category]}名单。",
                    )
                )
                continue
            if not within.holds(region_id=org.region_id, competent_authority_id=org.competent_authority_id):
                errors.append(_problem(number, "credit_code", f"“{org.name}”不在{authority.name}的辖区内。"))
                continue
        else:
            if not fields["name"]:
                errors.append(_problem(number, "name", "系统中尚无该信用代码的单位，须填写单位名称。"))
                continue
            region_id = code[2:8] if code[2:8] in regions else authority.region_id
            if not within.holds(region_id=region_id, competent_authority_id=None):
                errors.append(
                    _problem(
                        number,
                        "credit_code",
                        f"信用代码的登记机关行政区划（{code[2:8]}）不在{authority.name}的辖区内。",
                    )
                )
                continue
            org = _unit_create(
                actor=actor, kind=wanted_kind, name=fields["name"], code=code, region_id=region_id, request=request
            )
            organizations[code] = org
            created.append(org)
            notes.append(
                _problem(
                    number,
                    "credit_code",
                    f"系统中尚无该单位，已新建{org.get_kind_display()}“{org.name}”。",
                    warning=True,
                )
            )
        removed = fields["status"] == Listing.Status.REMOVED
        new.append(
            Listing(
                organization=org,
                name=fields["name"] or org.name,
                credit_code=code,
                category=category,
                level=level,
                year=fields["year"],
                authority=deciding[level],
                listed_on=fields["listed_on"],
                status=fields["status"],
                removed_on=fields["removed_on"] if removed else None,
                removal_reason=fields["removal_reason"] if removed else "",
                removal_authority=deciding[level] if removed else None,
                source=Listing.Source.IMPORT,
                reference=fields["reference"],
                import_batch=batch,
                created_by=actor if getattr(actor, "pk", None) else None,
            )
        )
        existing[(code, category, level, fields["year"])] = (None, fields["status"])
    Listing.objects.bulk_create(new, batch_size=500)
    if created:
        batch.created_organizations.add(*created)
    batch.rows_loaded = len(new)
    batch.rows_skipped = skipped
    batch.errors = sorted(errors + notes, key=lambda e: (e["row"], e.get("warning", False)))
    batch.save(update_fields=["rows_loaded", "rows_skipped", "errors"])
    bad_rows = len({e["row"] for e in batch.errors if not e.get("warning")})
    audit_record(
        actor=actor,
        verb="listing.import",
        target=batch,
        organization=authority,
        after=f"导入{batch.rows_loaded}条，跳过{skipped}条，错误{bad_rows}行",
        reason=name[:200],
        request=request,
    )
    codes_loaded = sorted({entry.credit_code for entry in new})
    if codes_loaded:
        transaction.on_commit(lambda: reevaluate_units(codes_loaded))
    return batch


def row_errors(batch: ListingImport) -> list[dict]:
    return [e for e in batch.errors if not e.get("warning")]


def row_notes(batch: ListingImport) -> list[dict]:
    return [e for e in batch.errors if e.get("warning")]
