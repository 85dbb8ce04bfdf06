"""The kinds of documents the portal renders: who owns each, which builder reads its data, which renderer writes it.

A builder is `build(owner, scope) -> data` (reads only; data is made of dataclasses, dicts, lists, str, int,
Decimal, date). A renderer is `render(data, progress=None) -> bytes` (no database; `progress(fraction)` may be
called by long renderers). Both are named by dotted path so heavy libraries load only in the worker that renders.
Bump `version` when a renderer's output changes, so documents rendered before are not served as current.
"""

from dataclasses import dataclass
from importlib import import_module

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
CONTENT_TYPES = {
    "xlsx": XLSX,
    "docx": DOCX,
    "pdf": "application/pdf",
    "html": "text/html; charset=utf-8",
    "zip": "application/zip",
}


@dataclass(frozen=True)
class Kind:
    code: str
    label: str
    owner: str  # app_label.Model
    build: str
    render: str
    ext: str
    scope: str = ""  # attribute of the owner naming the organization the document speaks for; "" = given by caller
    letter: str = ""  # LetterTemplate.Kind whose 发文字号 is allocated before building
    requesters: str = "scope"  # "scope": members of the scope organization; "viewers": anyone who sees the owner
    version: int = 1

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.ext]

    def builder(self):
        return _resolve(self.build)

    def renderer(self):
        return _resolve(self.render)


def _resolve(path: str):
    module, name = path.rsplit(".", 1)
    return getattr(import_module(module), name)


B = "documents.builders."
R = "documents.renderers."
_KINDS = [
    Kind(
        "batch_summary",
        "推荐汇总表",
        "reviews.Batch",
        B + "summary.batch_summary",
        R + "summary_xlsx.render",
        "xlsx",
        scope="authority",
    ),
    Kind(
        "batch_letter_pdf",
        "推荐文（PDF）",
        "reviews.Batch",
        B + "letters.batch_letter",
        R + "letter_pdf.render",
        "pdf",
        scope="authority",
        letter="recommend",
    ),
    Kind(
        "batch_letter_docx",
        "推荐文（Word）",
        "reviews.Batch",
        B + "letters.batch_letter",
        R + "letter_docx.render",
        "docx",
        scope="authority",
        letter="recommend",
    ),
    Kind(
        "batch_zip",
        "批次申报材料包",
        "reviews.Batch",
        B + "bundles.batch_bundle",
        R + "batch_zip.render",
        "zip",
        scope="authority",
        requesters="viewers",
    ),
    Kind(
        "notice_summary",
        "推荐汇总表（全部批次）",
        "notices.Notice",
        B + "summary.notice_summary",
        R + "summary_xlsx.render",
        "xlsx",
    ),
    Kind(
        "review_opinions",
        "初审（审核）意见表",
        "notices.Notice",
        B + "tables.review_opinions",
        R + "tables_xlsx.review_opinions",
        "xlsx",
    ),
    Kind("final_list", "入选名单", "notices.Notice", B + "tables.final_list", R + "tables_xlsx.final_list", "xlsx"),
    Kind(
        "consultation_letter_pdf",
        "征求意见函（PDF）",
        "reviews.Consultation",
        B + "letters.consultation_letter",
        R + "letter_pdf.render",
        "pdf",
        scope="authority",
        letter="consult",
    ),
    Kind(
        "consultation_letter_docx",
        "征求意见函（Word）",
        "reviews.Consultation",
        B + "letters.consultation_letter",
        R + "letter_docx.render",
        "docx",
        scope="authority",
        letter="consult",
    ),
    Kind(
        "panel_score_sheets",
        "专家评分表",
        "reviews.Panel",
        B + "tables.score_sheets",
        R + "tables_xlsx.score_sheets",
        "xlsx",
        scope="authority",
    ),
    Kind(
        "panel_ranking",
        "评审排序表",
        "reviews.Panel",
        B + "tables.ranking",
        R + "tables_xlsx.ranking",
        "xlsx",
        scope="authority",
    ),
    Kind(
        "publicity_pdf",
        "公示名单（PDF）",
        "reviews.Publicity",
        B + "publicity.publicity_list",
        R + "publicity.render_pdf",
        "pdf",
        scope="authority",
    ),
    Kind(
        "publicity_html",
        "公示名单（网页）",
        "reviews.Publicity",
        B + "publicity.publicity_list",
        R + "publicity.render_html",
        "html",
        scope="authority",
    ),
    Kind(
        "application_pdf",
        "申报材料合并PDF",
        "applications.Application",
        B + "bundles.application_bundle",
        R + "merged_pdf.render",
        "pdf",
        scope="applicant",
        requesters="viewers",
    ),
]
KINDS: dict[str, Kind] = {k.code: k for k in _KINDS}


def kinds_for(owner_label: str) -> list[Kind]:
    return [k for k in _KINDS if k.owner == owner_label]
