"""Uploaded files are judged by their content, never by their name."""

import zipfile

from django.core.exceptions import ValidationError

TYPE_LABELS = {"pdf": "PDF", "docx": "Word（docx）", "xlsx": "Excel（xlsx）", "jpg": "JPG 图片", "png": "PNG 图片"}
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "jpg": "image/jpeg",
    "png": "image/png",
}


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
            with zipfile.ZipFile(upload) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError):
            return None
        finally:
            upload.seek(0)
        if "[Content_Types].xml" in names:
            if "word/document.xml" in names:
                return "docx"
            if "xl/workbook.xml" in names:
                return "xlsx"
    return None


def check_upload(upload, *, accepted: list[str], max_bytes: int) -> str:
    """Return the detected type, or raise a ValidationError in Chinese. Nothing is stored here."""
    if upload is None or not getattr(upload, "size", 0):
        raise ValidationError("请选择要上传的文件（文件不能为空）。")
    if upload.size > max_bytes:
        raise ValidationError(
            f"文件“{upload.name}”大小为{upload.size / 1048576:.1f} MB，超过上限{max_bytes / 1048576:.0f} MB。"
        )
    kind = sniff_type(upload)
    allowed = "、".join(TYPE_LABELS[t] for t in accepted)
    if kind is None:
        raise ValidationError(f"文件“{upload.name}”无法识别或已损坏。请上传{allowed}格式的文件。")
    if kind not in accepted:
        raise ValidationError(f"文件“{upload.name}”的实际内容是{TYPE_LABELS[kind]}，此处只接受{allowed}。")
    return kind


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
