"""One PDF of an application's materials for upload to the national platform (green.miit.gov.cn,
001_df05fc8070bc22d3.txt): a cover, a contents page with each material's first page, then every material in the
application page's order, with one bookmark per material.

PDFs are appended as they are; JPG/PNG are placed on A4 pages; docx/xlsx go through LibreOffice. Each material is
converted into a temporary file first, so only one material's bytes are held at a time until the final write.
"""

import gc
import shutil
import tempfile
from io import BytesIO
from pathlib import Path

from django.core.files.storage import default_storage
from django.template.loader import render_to_string

from documents.fonts import CSS_STACKS

A4_MM = (210, 297)
IMAGE_MARGIN_MM = 10
MAX_FRONT_PASSES = 3


class BundleError(ValueError):
    """A material that cannot become PDF pages; the message names the material and its file."""


def _fail(item, reason: str) -> BundleError:
    return BundleError(f"材料“{item.material}”（文件“{item.original_name}”）无法合并：{reason}")


def _copy_to(item, path: Path) -> None:
    try:
        with default_storage.open(item.storage_name, "rb") as src, open(path, "wb") as dst:
            shutil.copyfileobj(src, dst, 1024 * 1024)
    except FileNotFoundError as exc:  # not transient: retrying will not bring the file back
        raise _fail(item, "存储中找不到该文件") from exc


def _open_pdf(item, path: Path):
    """A readable PdfReader; an encrypted PDF is tried with the empty user password (owner-locked files)."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            try:
                decrypted = reader.decrypt("")
            except (PyPdfError, NotImplementedError) as exc:
                raise _fail(item, f"PDF 已加密，无法解密（{exc}）") from exc
            if not decrypted:
                raise _fail(item, "PDF 已设置打开密码，请上传未加密的文件")
        count = len(reader.pages)
    except BundleError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise _fail(item, f"PDF 文件已损坏（{exc}）") from exc
    if count == 0:
        raise _fail(item, "PDF 没有页面")
    return reader


def _image_html(path: Path, size: tuple[int, int]) -> str:
    """An A4 page (landscape for a wide picture) with the picture scaled to fit inside a 10 mm margin."""
    width, height = size
    landscape = width > height
    page_w, page_h = (A4_MM[1], A4_MM[0]) if landscape else A4_MM
    box_w, box_h = page_w - 2 * IMAGE_MARGIN_MM, page_h - 2 * IMAGE_MARGIN_MM
    scale = min(box_w / width, box_h / height)
    shown_w, shown_h = width * scale, height * scale
    top = (box_h - shown_h) / 2
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><style>'
        f"@page {{ size: A4 {'landscape' if landscape else 'portrait'}; margin: {IMAGE_MARGIN_MM}mm }}"
        "html, body { margin: 0; padding: 0 }"
        f"img {{ display: block; width: {shown_w:.2f}mm; height: {shown_h:.2f}mm;"
        f" margin: {top:.2f}mm auto 0 auto; image-orientation: none }}"
        f'</style></head><body><img src="{path.as_uri()}" alt=""></body></html>'
    )


def _image_to_pdf(item, src: Path, out: Path) -> None:
    from PIL import Image, ImageOps, UnidentifiedImageError
    from weasyprint import HTML

    try:
        with Image.open(src) as image:
            image.verify()  # a truncated or corrupt file fails here, not half-way through the page
        with Image.open(src) as image:
            orientation = image.getexif().get(0x0112, 1)
            if orientation != 1:  # a phone photo: turn the pixels upright, the page shows them as they are
                upright = ImageOps.exif_transpose(image)
                src = src.with_name(src.stem + "-upright.png")
                upright.save(src, "PNG")
                size = upright.size
            else:
                size = image.size
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise _fail(item, f"图片无法读取（{exc}）") from exc
    try:
        HTML(string=_image_html(src, size), base_url=str(src.parent)).write_pdf(out)
    except Exception as exc:  # a picture WeasyPrint cannot place is the file's fault: name it, do not retry
        raise _fail(item, f"图片无法排入页面（{exc}）") from exc


def _office_to_pdf(item, src: Path, out: Path) -> None:
    from documents.renderers.office import ConversionError, convert

    try:
        out.write_bytes(convert(src.read_bytes(), item.type))
    except ConversionError as exc:
        raise _fail(item, str(exc)) from exc


def material_pdf(item, workdir: Path, index: int) -> tuple[Path, int]:
    """Convert one material into a PDF file in workdir; returns its path and page count."""
    ext = item.type
    if ext not in ("pdf", "jpg", "png", "docx", "xlsx"):
        raise _fail(item, "文件类型无法识别（只能合并 PDF、Word、Excel、JPG、PNG）")
    src = workdir / f"{index:03d}-src.{ext}"
    _copy_to(item, src)
    if ext == "pdf":
        out = src
    else:
        out = workdir / f"{index:03d}.pdf"
        if ext in ("jpg", "png"):
            _image_to_pdf(item, src, out)
        else:
            _office_to_pdf(item, src, out)
        src.unlink(missing_ok=True)
    return out, len(_open_pdf(item, out).pages)


def _date(value) -> str:
    return f"{value.year}年{value.month}月{value.day}日" if value else ""


def front_matter(data, rows: list[dict]) -> bytes:
    """Cover and contents (WeasyPrint, the project's CJK faces)."""
    from weasyprint import HTML

    html = render_to_string(
        "documents/bundle/front.html",
        {"data": data, "rows": rows, "dated": _date(data.dated), "fonts": CSS_STACKS},
    )
    content = HTML(string=html).write_pdf()
    # WeasyPrint's font subsetting leaves the whole font files (two CJK faces, ~50 MB) in reference cycles: free
    # them now, not whenever the cyclic collector next runs, so a worker's peak stays one document's worth
    gc.collect()
    return content


def _contents(parts, front_pages: int) -> list[dict]:
    rows, page = [], front_pages + 1
    for number, (item, _path, pages) in enumerate(parts, start=1):
        rows.append(
            {"number": number, "material": item.material, "original": item.original_name, "page": page, "pages": pages}
        )
        page += pages
    return rows


def render(data, progress=None) -> bytes:
    from pypdf import PdfReader, PdfWriter

    files = list(data.files)
    steps = len(files) + 1
    with tempfile.TemporaryDirectory(prefix="gm-merge-") as tmp:
        workdir = Path(tmp)
        parts = []
        for index, item in enumerate(files):
            path, pages = material_pdf(item, workdir, index)
            parts.append((item, path, pages))
            if progress:
                progress((index + 1) / steps)
        # the contents' own length decides where the materials start: settle it (the numbers rarely change it)
        front_pages, front = 2, b""
        for _ in range(MAX_FRONT_PASSES):
            rows = _contents(parts, front_pages)
            front = front_matter(data, rows)
            actual = len(PdfReader(BytesIO(front)).pages)
            if actual == front_pages:
                break
            front_pages = actual
        writer = PdfWriter()
        writer.append(PdfReader(BytesIO(front)), import_outline=False)
        writer.add_outline_item(title="封面", page_number=0)
        writer.add_outline_item(title="目录", page_number=1)
        for (item, path, _pages), row in zip(parts, rows, strict=True):
            start = len(writer.pages)
            writer.append(_open_pdf(item, path), import_outline=False)
            writer.add_outline_item(title=item.material, page_number=start)
            if start + 1 != row["page"]:
                raise RuntimeError(f"目录页码与合并结果不符：{item.material}")
        writer.add_metadata({"/Title": f"{data.applicant}申报材料", "/Author": data.applicant, "/Creator": "greenmfg"})
        writer.page_mode = "/UseOutlines"
        out = BytesIO()
        writer.write(out)
        if progress:
            progress(1.0)
        return out.getvalue()
