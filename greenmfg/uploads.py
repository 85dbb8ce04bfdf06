"""Uploaded files are judged by their content, never by their name.

check_upload is the one gate: size, type by content, then what the content may hide (zip bombs in OOXML,
scripts, attachments or passwords in PDFs, decompression bombs in pictures). safe_name is the one place an
original file name is made fit to record, display and send back in a download header.
"""

import os
import re
import struct
import tempfile
import unicodedata
import warnings
import zipfile
import zlib

from django.core.exceptions import ValidationError

TYPE_LABELS = {"pdf": "PDF", "docx": "Word（docx）", "xlsx": "Excel（xlsx）", "jpg": "JPG 图片", "png": "PNG 图片"}
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "jpg": "image/jpeg",
    "png": "image/png",
}

# OOXML limits: real Word/Excel files stay far below them; a bomb does not.
ZIP_MAX_MEMBERS = 5000
ZIP_MAX_DIRECTORY_BYTES = 8 * 1024 * 1024
ZIP_MAX_INFLATED = 1024 * 1024 * 1024
ZIP_MAX_RATIO = 200  # inflated / compressed, for members inflating past ZIP_RATIO_FLOOR
ZIP_RATIO_FLOOR = 8 * 1024 * 1024
ZIP_EMBEDDINGS = ("word/embeddings/", "xl/embeddings/", "ppt/embeddings/")
IMAGE_MAX_PIXELS = 178_956_970  # where Pillow itself refuses to open a picture as a decompression bomb
NAME_MAX_CHARS = 120
CHUNK = 64 * 1024


# Names


_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)), *(f"LPT{i}" for i in range(10))}
_FORBIDDEN = re.compile(r'[<>:"/\\|?*]')


def safe_name(name, *, default: str = "文件") -> str:
    """The original file name, fit to record and show: no folders, no control or bidi characters, no characters
    Windows forbids, no reserved device name, at most NAME_MAX_CHARS characters with the extension kept."""
    text = unicodedata.normalize("NFC", str(name or ""))
    text = re.split(r"[/\\]", text)[-1]  # a path sent as the name keeps only its last part
    # Cc: control (NUL, CR, LF…); Cf: format (U+202E right-to-left override, zero-width); Zl/Zp: line breaks.
    text = "".join(" " if unicodedata.category(c) in ("Zl", "Zp") else c for c in text)
    text = "".join(c for c in text if unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Co", "Cn"))
    text = _FORBIDDEN.sub("_", text)
    text = re.sub(r"\s+", " ", text).strip(" .")
    stem, dot, ext = text.rpartition(".")
    if not dot:
        stem, ext = text, ""
    if stem.split(".")[0].strip().upper() in _WINDOWS_RESERVED:
        stem = f"_{stem}"
    ext = ext[:16]
    room = NAME_MAX_CHARS - (len(ext) + 1 if ext else 0)
    stem = stem[:room].rstrip(" .")
    if not stem:
        return default
    return f"{stem}.{ext}" if ext else stem


# Type by content


def sniff_type(upload) -> str | None:
    """pdf / docx / xlsx / jpg / png from the bytes, or None. Leaves the file at position 0."""
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith(b"PK\x03\x04"):
        try:
            _zip_directory_sane(upload)  # never let zipfile load a huge central directory
            with zipfile.ZipFile(upload) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError, ValidationError, EOFError, struct.error):
            return None
        finally:
            upload.seek(0)
        if "[Content_Types].xml" in names:
            if "word/document.xml" in names:
                return "docx"
            if "xl/workbook.xml" in names:
                return "xlsx"
    return None


def _file_size(handle) -> int:
    handle.seek(0, os.SEEK_END)
    size = handle.tell()
    handle.seek(0)
    return size


def check_upload(upload, *, accepted: list[str], max_bytes: int, max_inflated: int = ZIP_MAX_INFLATED) -> str:
    """Return the detected type, or raise a ValidationError in Chinese. Nothing is stored here."""
    if upload is None or not getattr(upload, "size", 0):
        raise ValidationError("请选择要上传的文件（文件不能为空）。")
    name = safe_name(getattr(upload, "name", ""))
    if upload.size > max_bytes:
        raise ValidationError(
            f"文件“{name}”大小为{upload.size / 1048576:.1f} MB，超过上限{max_bytes / 1048576:.0f} MB。"
        )
    kind = sniff_type(upload)
    allowed = "、".join(TYPE_LABELS[t] for t in accepted)
    if kind is None:
        if _looks_like_zip(upload):
            check_archive(upload, name=name, max_inflated=max_inflated)  # a bomb is named as such
        raise ValidationError(f"文件“{name}”无法识别或已损坏。请上传{allowed}格式的文件。")
    if kind not in accepted:
        raise ValidationError(f"文件“{name}”的实际内容是{TYPE_LABELS[kind]}，此处只接受{allowed}。")
    try:
        if kind in ("docx", "xlsx"):
            check_archive(upload, name=name, max_inflated=max_inflated)
        elif kind == "pdf":
            check_pdf(upload, name=name)
        else:
            _check_image(upload, name=name)
    finally:
        upload.seek(0)
    return kind


def _looks_like_zip(upload) -> bool:
    upload.seek(0)
    head = upload.read(4)
    upload.seek(0)
    return head == b"PK\x03\x04"


# Zip archives (docx, xlsx): the central directory first, then every member inflated in bounded chunks.


def _refuse_archive(name: str, why: str):
    raise ValidationError(f"文件“{name}”{why}，可能是恶意构造的压缩文件，不予接受。请上传正常保存的 Word/Excel 文件。")


def _zip_directory_sane(handle, name: str = "文件") -> None:
    """Read the end-of-directory record (zip64 too) and refuse before zipfile would load every entry."""
    size = _file_size(handle)
    tail_len = min(size, 65536 + 22)
    handle.seek(size - tail_len)
    tail = handle.read(tail_len)
    handle.seek(0)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        raise zipfile.BadZipFile("no end of central directory")
    entries, directory_bytes = struct.unpack("<xxxxxxxxxxHI", tail[at : at + 16])
    if at >= 20 and tail[at - 20 : at - 16] == b"PK\x06\x07":  # zip64 locator
        (offset,) = struct.unpack("<Q", tail[at - 12 : at - 4])
        handle.seek(offset)
        record = handle.read(56)
        handle.seek(0)
        if len(record) == 56 and record[:4] == b"PK\x06\x06":
            entries, directory_bytes = struct.unpack("<QQ", record[32:48])
    if entries > ZIP_MAX_MEMBERS:
        _refuse_archive(name, f"包含{entries}个内部文件，超过上限{ZIP_MAX_MEMBERS}个")
    if directory_bytes > ZIP_MAX_DIRECTORY_BYTES:
        _refuse_archive(name, "的文件目录异常庞大")


def check_archive(handle, *, name: str, max_inflated: int = ZIP_MAX_INFLATED, _depth: int = 0) -> None:
    """Refuse a zip bomb: too many members, declared sizes or ratios out of bounds, a member that inflates past
    what it declares, or an archive nested inside (only embedded Office objects may nest, once, and are checked
    the same way). Memory stays at a few chunks whatever the archive holds."""
    handle.seek(0)
    try:
        _zip_directory_sane(handle, name)
        with zipfile.ZipFile(handle) as archive:
            members = archive.infolist()
            _check_declared(members, name=name, max_inflated=max_inflated)
            budget = [max_inflated]
            for info in members:
                if not info.is_dir():
                    _inflate_member(handle, info, name=name, budget=budget, depth=_depth)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, struct.error, NotImplementedError) as exc:
        raise ValidationError(f"文件“{name}”已损坏（压缩数据无法读取），请重新保存后上传。") from exc
    finally:
        handle.seek(0)


def _check_declared(members, *, name: str, max_inflated: int) -> None:
    if len(members) > ZIP_MAX_MEMBERS:
        _refuse_archive(name, f"包含{len(members)}个内部文件，超过上限{ZIP_MAX_MEMBERS}个")
    total = 0
    for info in members:
        if info.flag_bits & 0x1:
            _refuse_archive(name, "内部有加密的内容")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            _refuse_archive(name, "使用了 Office 文件不用的压缩方式")
        total += info.file_size
        if total > max_inflated:
            _refuse_archive(name, f"解压后超过{max_inflated // 1048576} MB")
        if info.file_size > ZIP_RATIO_FLOOR and info.file_size > ZIP_MAX_RATIO * max(info.compress_size, 1):
            _refuse_archive(name, f"内部文件的压缩比超过{ZIP_MAX_RATIO}倍")


def _inflate_member(handle, info, *, name: str, budget: list, depth: int) -> None:
    """Inflate one member from its raw bytes, chunk by chunk, counting: more output than declared is a lie."""
    handle.seek(info.header_offset)
    header = handle.read(30)
    if len(header) < 30 or header[:4] != b"PK\x03\x04":
        raise zipfile.BadZipFile("bad local header")
    name_len, extra_len = struct.unpack("<HH", header[26:30])
    handle.seek(info.header_offset + 30 + name_len + extra_len)
    left = info.compress_size
    inflater = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
    produced, head, nested = 0, b"", None

    def take(data: bytes) -> None:
        nonlocal produced, head, nested
        if not data:
            return
        produced += len(data)
        budget[0] -= len(data)
        if produced > info.file_size:
            _refuse_archive(name, "内部文件解压后的实际大小超过其声明的大小")
        if budget[0] < 0:
            _refuse_archive(name, "解压后的数据量超过上限")
        if len(head) < 4:
            head += data[: 4 - len(head)]
            if len(head) == 4 and head == b"PK\x03\x04":
                if depth > 0 or not info.filename.startswith(ZIP_EMBEDDINGS):
                    _refuse_archive(name, "内部嵌套了压缩包")
                nested = tempfile.SpooledTemporaryFile(max_size=1024 * 1024)
        if nested is not None:
            nested.write(data)

    try:
        while left > 0:
            raw = handle.read(min(CHUNK, left))
            if not raw:
                raise zipfile.BadZipFile("truncated member")
            left -= len(raw)
            if inflater is None:
                take(raw)
                continue
            data = inflater.decompress(raw, CHUNK)
            take(data)
            while inflater.unconsumed_tail:
                take(inflater.decompress(inflater.unconsumed_tail, CHUNK))
            if inflater.eof:
                break
        if inflater is not None:
            take(inflater.flush(CHUNK))
        if produced != info.file_size:
            raise zipfile.BadZipFile("member size differs from its declaration")
        if nested is not None:
            nested.seek(0)
            remaining = budget[0]
            check_archive(nested, name=name, max_inflated=max(remaining, 0), _depth=depth + 1)
            budget[0] = remaining  # the nested members were counted against their own budget
    finally:
        if nested is not None:
            nested.close()


# PDF: no active content, no attachments, no password (it must merge into the application PDF).

PDF_EOF_WINDOW = 1024
PDF_MAX_OBJECTS = 500_000
# What a PDF may hide, by the name that reveals it; each with the words the user reads.
_PDF_ACTIONS = {"/JavaScript": "JavaScript 脚本", "/Launch": "启动外部程序的动作", "/ImportData": "导入数据的动作",
                "/GoToE": "打开嵌入文件的动作", "/RichMediaExecute": "多媒体脚本"}  # fmt: skip
_PDF_KEYS = {"/JS": "JavaScript 脚本", "/JavaScript": "JavaScript 脚本", "/EmbeddedFiles": "嵌入的附件文件",
             "/EF": "嵌入的附件文件", "/RichMediaContent": "多媒体（RichMedia）内容", "/XFA": "动态表单（XFA）"}  # fmt: skip
_PDF_TYPES = {"/EmbeddedFile": "嵌入的附件文件", "/RichMedia": "多媒体（RichMedia）内容",
              "/FileAttachment": "嵌入的附件文件"}  # fmt: skip
_PDF_BYTE_MARKERS = {b"/JavaScript": "JavaScript 脚本", b"/JS": "JavaScript 脚本", b"/Launch": "启动外部程序的动作",
                     b"/EmbeddedFile": "嵌入的附件文件", b"/RichMedia": "多媒体（RichMedia）内容",
                     b"/XFA": "动态表单（XFA）"}  # fmt: skip


def _refuse_pdf(name: str, what: str):
    raise ValidationError(f"PDF 文件“{name}”含有{what}，出于安全原因不予接受。请用“打印为 PDF”或扫描重新生成后上传。")


def check_pdf(upload, *, name: str) -> None:
    """Refuse a truncated or password-protected PDF and one with scripts, launch actions or attachments.

    pypdf walks every object, those inside compressed object streams too; a file pypdf cannot read is
    scanned byte by byte (names with #xx escapes decoded) instead."""
    import logging

    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    size = _file_size(upload)
    upload.seek(max(size - PDF_EOF_WINDOW, 0))
    if b"%%EOF" not in upload.read():
        raise ValidationError(f"PDF 文件“{name}”不完整（缺少文件结尾，可能上传中断或文件已损坏），请重新上传。")
    upload.seek(0)
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # damaged files are judged here, not logged
    try:
        reader = PdfReader(upload, strict=False)
        encrypted = reader.is_encrypted
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError):
        _scan_pdf_bytes(upload, name=name)
        return
    if encrypted:
        try:
            opened = reader.decrypt("")  # owner-locked files open without a password and merge
        except (PyPdfError, NotImplementedError, ValueError):
            opened = 0
        if not opened:
            raise ValidationError(
                f"PDF 文件“{name}”已加密（设置了打开密码），无法合并到申报材料中。请取消密码后重新上传。"
            )
    try:
        _walk_pdf(reader, name=name)
    except ValidationError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError):
        _scan_pdf_bytes(upload, name=name)


def _walk_pdf(reader, *, name: str) -> None:
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    def inspect(obj, depth=0) -> None:
        if depth > 64:
            return
        if isinstance(obj, DictionaryObject):
            for key in obj:
                if key in _PDF_KEYS:
                    _refuse_pdf(name, _PDF_KEYS[key])
            action = obj.get("/S")
            if isinstance(action, str) and action in _PDF_ACTIONS:
                _refuse_pdf(name, _PDF_ACTIONS[action])
            for field in ("/Type", "/Subtype"):
                value = obj.get(field)
                if isinstance(value, str) and value in _PDF_TYPES:
                    _refuse_pdf(name, _PDF_TYPES[value])
            for value in obj.values():
                if not isinstance(value, IndirectObject):
                    inspect(value, depth + 1)
        elif isinstance(obj, ArrayObject):
            for value in obj:
                if not isinstance(value, IndirectObject):
                    inspect(value, depth + 1)

    inspect(reader.trailer)
    seen = 0
    numbers = {(num, gen) for gen, table in reader.xref.items() for num in table}
    numbers |= {(num, 0) for num in reader.xref_objStm}
    for num, gen in sorted(numbers):
        seen += 1
        if seen > PDF_MAX_OBJECTS:
            raise ValidationError(f"PDF 文件“{name}”的对象数量异常庞大，不予接受。")
        obj = reader.get_object(IndirectObject(num, gen, reader))
        inspect(obj)
        if not (isinstance(obj, DictionaryObject) and obj.get("/Type") == "/ObjStm"):
            reader.resolved_objects.pop((gen, num), None)  # one object at a time: pictures are not all kept


_PDF_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")


def _scan_pdf_bytes(upload, *, name: str) -> None:
    """The fallback: read in chunks (overlapping, so a marker across two chunks is seen), #xx decoded."""
    upload.seek(0)
    carry = b""
    while True:
        chunk = upload.read(1024 * 1024)
        if not chunk:
            break
        window = carry + chunk
        text = _PDF_NAME_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), window)
        for marker, what in _PDF_BYTE_MARKERS.items():
            if re.search(re.escape(marker) + rb"(?![A-Za-z])" if marker == b"/JS" else re.escape(marker), text):
                _refuse_pdf(name, what)
        carry = window[-64:]
    upload.seek(0)


# Pictures


def _check_image(upload, *, name: str) -> None:
    """A picture whose header declares more pixels than the merge can decode is refused; the pixels themselves
    are judged when the application PDF is built (a damaged picture is named there)."""
    from PIL import Image

    upload.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(upload) as image:  # reads the header only
                width, height = image.size
    except Image.DecompressionBombError:
        width = height = 0
        pixels = IMAGE_MAX_PIXELS + 1
    except Exception:  # noqa: BLE001 - Pillow raises many kinds on a header it cannot read; the type is known
        return
    else:
        pixels = width * height
    finally:
        upload.seek(0)
    if pixels > IMAGE_MAX_PIXELS:
        size = f"为{width}×{height}像素，" if width else ""
        raise ValidationError(
            f"图片“{name}”{size}超过上限（约{IMAGE_MAX_PIXELS // 1_000_000}百万像素），请缩小后重新上传。"
        )


# Storing


def store_upload(upload, *, folder: str, kind: str) -> tuple[str, str]:
    """Stream a checked upload to storage under a random name in folder/YYYY/MM/, hashing as it goes.
    Returns (stored name, sha256 hex)."""
    import hashlib
    import uuid

    from django.core.files.storage import default_storage
    from django.utils import timezone

    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    name = default_storage.save(f"{folder}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{kind}", upload)
    return name, digest.hexdigest()
