"""A batch's materials in one zip: `00-推荐文及汇总表/` with the letter, the summary table and the stamped scan, then
one folder per application in rank order, `01-<申报单位>-<类别>/<n>-<材料名>.<ext>`, and `清单.txt` listing every
file with its sha256.

Names are UTF-8 with the zip's language-encoding flag set, so Windows' Explorer shows the Chinese names. Files are
streamed from storage into the archive in chunks and checked against the sha256 recorded at upload.
"""

import hashlib
import re
import shutil
import tempfile
import zipfile
from datetime import datetime

from django.core.files.storage import default_storage
from django.utils import timezone

UTF8_FLAG = 0x800
MAX_NAME = 80  # characters of one path part, before the extension: short enough for Windows' 260-character paths
CHUNK = 1024 * 1024
ZIP64_FROM = 2**31  # only huge members carry zip64 fields; small ones stay readable by the oldest unzip tools
DOCUMENTS_FOLDER = "00-推荐文及汇总表"
MANIFEST = "清单.txt"
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # a line of the manifest stays one line
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


class ZipBundleError(ValueError):
    pass


def clean(part: str, *, limit: int = MAX_NAME) -> str:
    """One safe path part: no separators, control or Windows-reserved characters, no `..`, not empty, not too long."""
    text = _UNSAFE.sub("_", str(part or ""))
    text = re.sub(r"\.{2,}", ".", text)
    text = re.sub(r"\s+", " ", text).strip(" .")
    if text.upper().split(".")[0] in _RESERVED:
        text = f"_{text}"
    return text[:limit].rstrip(" .") or "未命名"


def _ext(item_type: str, original: str) -> str:
    if item_type:
        return item_type
    suffix = original.rsplit(".", 1)[-1] if "." in original else ""
    return clean(suffix, limit=8).lower() if suffix else "bin"


def _split(filename: str) -> tuple[str, str]:
    stem, dot, ext = filename.rpartition(".")
    if not dot or not stem or len(ext) > 8:
        return filename, ""
    return stem, ext


class _Names:
    """Unique names per folder, compared case-insensitively as Windows does: 材料.pdf, 材料(2).pdf ..."""

    def __init__(self):
        self.taken: set[str] = set()

    def add(self, folder: str, stem: str, ext: str) -> str:
        stem = clean(stem)
        ext = clean(ext, limit=8) if ext else ""
        candidate, n = stem, 1
        while True:
            name = f"{candidate}.{ext}" if ext else candidate
            path = f"{folder}/{name}" if folder else name
            if path.lower() not in self.taken:
                self.taken.add(path.lower())
                return path
            n += 1
            candidate = f"{stem}({n})"


def _stamp(value) -> tuple:
    """The zip's local time of a file: its upload or rendering time in Asia/Shanghai."""
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        if value.year >= 1980:
            return value.timetuple()[:6]
    return (1980, 1, 1, 0, 0, 0)


class _Hashing:
    """A write-only file that hashes and counts what passes through it into the archive member."""

    def __init__(self, dst):
        self.dst, self.digest, self.size = dst, hashlib.sha256(), 0

    def write(self, chunk: bytes) -> int:
        self.digest.update(chunk)
        self.size += len(chunk)
        return self.dst.write(chunk)


def _info(arcname: str, when) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(arcname, date_time=_stamp(when))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.flag_bits |= UTF8_FLAG
    info.external_attr = 0o644 << 16
    return info


def _add(archive, arcname: str, storage_name: str, when, expected: str, label: str, size: int = 0) -> tuple[str, int]:
    try:
        src = default_storage.open(storage_name, "rb")
    except FileNotFoundError as exc:  # not transient: the render fails with the file's name
        raise ZipBundleError(f"{label}在存储中找不到，无法打包。") from exc
    with src, archive.open(_info(arcname, when), "w", force_zip64=size >= ZIP64_FROM) as dst:
        sink = _Hashing(dst)
        shutil.copyfileobj(src, sink, CHUNK)
    actual = sink.digest.hexdigest()
    if expected and actual != expected:
        raise ZipBundleError(f"{label}与登记的校验值不符（文件可能已损坏或被替换），无法打包。")
    return actual, sink.size


def _manifest(data, rows: list[tuple[str, str, int, str]]) -> str:
    """sha256sum's own format (`sha256sum -c 清单.txt` checks the unpacked folder), comments after #."""
    lines = [
        f"# {data.title}",
        f"# 推荐单位：{data.authority}",
        f"# 报送至：{data.recipient}",
        f"# 申报{len(data.applications)}项，文件{len(rows)}个。每行为 SHA-256 校验值、两个空格、文件在压缩包中的路径。",
        "# 校验：Linux/macOS 在解压后的目录中执行 sha256sum -c 清单.txt；Windows 执行 certutil -hashfile <文件> SHA256。",
    ]
    lines += [f"{sha}  {arcname}" for arcname, sha, _size, _note in rows]
    lines += ["", "# 文件说明（路径、字节数、来源）"]
    lines += [f"# {arcname}  {size}字节  {_CONTROL.sub(' ', note)}" for arcname, _sha, size, note in rows]
    return "\n".join(lines) + "\n"


def _entries(data):
    """(folder, stem, ext, storage name, time, sha256, size, what it is, label for errors) in archive order."""
    for doc in data.documents:
        stem, ext = _split(doc.filename)
        if doc.kind == "scan":
            stem = f"{doc.label}-{stem}"
        yield DOCUMENTS_FOLDER, stem, ext, doc, doc.finished_at, doc.label, f"“{doc.filename}”"
    width = max(2, len(str(max((a.rank for a in data.applications), default=0))))
    for app in data.applications:
        folder = f"{app.rank:0{width}d}-{clean(app.applicant, limit=60)}-{clean(app.category, limit=16)}"
        for number, item in enumerate(app.files, start=1):
            stem = f"{number}-{clean(item.material, limit=60)}"
            label = f"{app.applicant}的材料“{item.material}”（文件“{item.original_name}”）"
            ext = _ext(item.type, item.original_name)
            yield folder, stem, ext, item, item.uploaded_at, f"原文件名：{item.original_name}", label


def render(data, progress=None) -> bytes:
    names, rows, folders = _Names(), [], {}
    total = len(data.documents) + sum(len(a.files) for a in data.applications)
    with tempfile.TemporaryFile(prefix="gm-zip-") as spool:
        with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
            for done, (folder, stem, ext, item, when, note, label) in enumerate(_entries(data), start=1):
                if folder not in folders:  # each folder name is cleaned and claimed once
                    folders[folder] = names.add("", folder, "")
                arcname = names.add(folders[folder], stem, ext)
                sha, size = _add(archive, arcname, item.storage_name, when, item.sha256, label, item.size)
                rows.append((arcname, sha, size, note))
                if progress:
                    progress(done / total)
            stamps = [when for *_, when, _note, _label in _entries(data) if when]
            archive.writestr(_info(MANIFEST, max(stamps, default=None)), _manifest(data, rows).encode("utf-8"))
        spool.seek(0)
        return spool.read()
