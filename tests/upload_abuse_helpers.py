"""Hostile files for the upload tests, built byte by byte: zip bombs that stay a few MB on disk, PDFs hiding
scripts (in object streams too), a request body of gigabytes that is never held in memory."""

import io
import struct
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, NumberObject, TextStringObject

MB = 1024 * 1024

# 1 MB of zeros deflated, ending on a full flush: repeating it gives a valid stream of n MB in ~1 KB per MB.
_PIECE = (lambda c: c.compress(b"\0" * MB) + c.flush(zlib.Z_FULL_FLUSH))(zlib.compressobj(9, zlib.DEFLATED, -15))
_END = zlib.compressobj(9, zlib.DEFLATED, -15).flush()

CONTENT_TYPES_XML = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'
)


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


# Zips


def deflated(name: str, data: bytes) -> tuple:
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return name, c.compress(data) + c.flush(), 8, len(data), zlib.crc32(data)


def stored(name: str, data: bytes) -> tuple:
    return name, data, 0, len(data), zlib.crc32(data)


def zeros(name: str, megabytes: int, *, declared: int | None = None) -> tuple:
    """A member inflating to `megabytes` MB of zeros, declaring `declared` bytes (its true size by default)."""
    return name, _PIECE * megabytes + _END, 8, megabytes * MB if declared is None else declared, 0


def raw_zip(members) -> bytes:
    """A zip from (name, payload, method, declared size, crc): the sizes are written as given, true or not."""
    out, central = bytearray(), bytearray()
    for name, payload, method, size, crc in members:
        encoded = name.encode()
        offset = len(out)
        fields = (0x800, method, 0, 0x21, crc, len(payload), size, len(encoded))
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, *fields, 0) + encoded + payload
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, *fields, 0, 0, 0, 0, 0, offset) + encoded
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), len(out), 0)
    return bytes(out + central + end)


def docx_members(*extra) -> list:
    return [
        deflated("[Content_Types].xml", CONTENT_TYPES_XML),
        deflated("word/document.xml", b"<w:document><w:body><w:p/></w:body></w:document>"),
        *extra,
    ]


def docx(*extra) -> bytes:
    return raw_zip(docx_members(*extra))


def xlsx_members(rows=(), *extra) -> list:
    """A real workbook written by openpyxl, member by member, with `extra` members added."""
    import zipfile

    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    with zipfile.ZipFile(buffer) as archive:
        members = [deflated(i.filename, archive.read(i)) for i in archive.infolist()]
    return [*members, *extra]


def xlsx(rows=(), *extra) -> bytes:
    return raw_zip(xlsx_members(rows, *extra))


# PDFs


def pdf_written(change=None) -> bytes:
    """A one-page PDF written by pypdf, after `change(writer, page)`."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    page = writer.add_blank_page(200, 200)
    if change is not None:
        change(writer, page)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def pdf_with_pictures(pages: int) -> bytes:
    """A scan-like PDF: `pages` pages each holding 1 MB of (random, incompressible) picture data."""
    import os

    from pypdf import PdfWriter
    from pypdf.generic import StreamObject

    writer = PdfWriter()
    for number in range(pages):
        page = writer.add_blank_page(200, 200)
        picture = StreamObject()
        picture.set_data(os.urandom(MB))
        picture.update({NameObject("/Type"): NameObject("/XObject"), NameObject("/Subtype"): NameObject("/Image")})
        picture.update({NameObject("/Width"): NumberObject(1024), NameObject("/Height"): NumberObject(1024)})
        pictures = DictionaryObject({NameObject(f"/Im{number}"): writer._add_object(picture)})
        page[NameObject("/Resources")] = DictionaryObject({NameObject("/XObject"): pictures})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def raw_pdf(*objects: bytes) -> bytes:
    """A classic PDF from object bodies (object 1 is the catalog), with a correct cross-reference table."""
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def page_objects(catalog_extra: bytes = b"", page_extra: bytes = b"") -> list[bytes]:
    return [
        b"<</Type/Catalog/Pages 2 0 R%s>>" % catalog_extra,
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]%s>>" % page_extra,
    ]


def pdf_hiding_in_object_stream(hidden: bytes) -> bytes:
    """PDF 1.5: the catalog's /OpenAction is object 5, which lives compressed inside object stream 4; the
    cross-reference is a compressed stream too, so the raw bytes show neither."""
    out, offsets = bytearray(b"%PDF-1.5\n"), {}
    for number, body in enumerate(page_objects(b"/OpenAction 5 0 R"), 1):
        offsets[number] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    header = b"5 0 "
    packed = zlib.compress(header + hidden)
    offsets[4] = len(out)
    out += b"4 0 obj\n<</Type/ObjStm/N 1/First %d/Filter/FlateDecode/Length %d>>stream\n" % (len(header), len(packed))
    out += packed + b"\nendstream\nendobj\n"
    xref = len(out)
    rows = [b"\x00" + b"\x00" * 4 + b"\xff\xff"]
    rows += [b"\x01" + struct.pack(">I", offsets[n]) + b"\x00\x00" for n in (1, 2, 3, 4)]
    rows += [b"\x02" + struct.pack(">I", 4) + b"\x00\x00", b"\x01" + struct.pack(">I", xref) + b"\x00\x00"]
    table = zlib.compress(b"".join(rows))
    out += b"6 0 obj\n<</Type/XRef/Size 7/W[1 4 2]/Root 1 0 R/Filter/FlateDecode/Length %d>>stream\n" % len(table)
    out += table + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def png_bytes(width: int = 4, height: int = 3) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(buffer, "PNG")
    return buffer.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header declares width × height: a decompression bomb as the merge would meet it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


TRUNCATED_PDF = (lambda whole: whole[: len(whole) // 2])(pdf_written())  # an upload cut off half-way


def js() -> DictionaryObject:
    return DictionaryObject(
        {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert(1)")}
    )


def js_name_tree(writer, page):
    """Document-level JavaScript, as Acrobat runs on opening: /Names /JavaScript."""
    tree = DictionaryObject({NameObject("/Names"): ArrayObject([TextStringObject("init"), writer._add_object(js())])})
    writer._root_object[NameObject("/Names")] = DictionaryObject({NameObject("/JavaScript"): tree})


def js_open_action(writer, page):
    writer._root_object[NameObject("/OpenAction")] = js()


def js_page_action(writer, page):
    page[NameObject("/AA")] = DictionaryObject({NameObject("/O"): js()})


def launch_action(writer, page):
    writer._root_object[NameObject("/OpenAction")] = DictionaryObject(
        {NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("cmd.exe")}
    )


def rich_media(writer, page):
    annotation = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/RichMedia"),
            NameObject("/Rect"): ArrayObject([NumberObject(0)] * 4),
        }
    )
    page[NameObject("/Annots")] = ArrayObject([writer._add_object(annotation)])


JS_PDF = pdf_written(js_open_action)


def stored_files(root) -> list:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


# A request body of any size, made as it is read


class EndlessBody:
    """wsgi.input for a multipart POST declaring `length` bytes: the form's head, then zeros, never all in memory.
    `read` counts what the server took."""

    def __init__(self, head: bytes, length: int):
        self.head, self.length, self.read_bytes = head, length, 0
        self._zeros = b"\0" * (256 * 1024)

    def read(self, size=-1):
        left = self.length - self.read_bytes
        if size is None or size < 0 or size > left:
            size = left
        if size <= 0:
            return b""
        if self.read_bytes < len(self.head):
            data = self.head[self.read_bytes : self.read_bytes + size]
        else:
            data = self._zeros[: min(size, len(self._zeros))]
        self.read_bytes += len(data)
        return data

    def readline(self, size=-1):
        return self.read(size)


BOUNDARY = "----greenmfg-upload-test"


def multipart_head(fields: dict, file_field: str, file_name: str) -> bytes:
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'
        for key, value in fields.items()
    ]
    parts.append(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{file_name}"\r\n'
        "Content-Type: application/pdf\r\n\r\n%PDF-1.4\n"
    )
    return "".join(parts).encode()


def wsgi_post(path: str, body: EndlessBody, *, cookie: str = "", referer: str = ""):
    """POST through the whole Django stack (middleware, URL conf, view) with a body read as the server reads it."""
    from django.test.client import ClientHandler

    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": body,
        "wsgi.errors": io.StringIO(),
        "wsgi.multiprocess": False,
        "wsgi.multithread": False,
        "wsgi.run_once": False,
        "CONTENT_TYPE": f"multipart/form-data; boundary={BOUNDARY}",
        "CONTENT_LENGTH": str(body.length),
        "HTTP_COOKIE": cookie,
    }
    if referer:
        environ["HTTP_REFERER"] = referer
    return ClientHandler(enforce_csrf_checks=True)(environ)
