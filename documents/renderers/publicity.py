"""公示名单 as a printable PDF (A4, the official faces, a table per category, page numbers) and as one standalone HTML
page that a government website can post as it is: inline CSS, no scripts, no external assets (intranets have no
internet). Both come from one template, templates/documents/publicity/list.html."""

import gc

from django.template.loader import render_to_string

from documents.fonts import CSS_STACKS


def _date(value) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def _html(data, *, pdf: bool) -> str:
    return render_to_string(
        "documents/publicity/list.html",
        {"data": data, "pdf": pdf, "fonts": CSS_STACKS, "signed_on": _date(data.signed_on)},
    )


def render_pdf(data, progress=None) -> bytes:
    from weasyprint import HTML

    document = HTML(string=_html(data, pdf=True)).render()
    if progress:
        progress(0.9)
    content = document.write_pdf()
    del document
    gc.collect()  # the subset fonts' source files sit in reference cycles: free them before the next task
    return content


def render_html(data, progress=None) -> bytes:
    return _html(data, pdf=False).encode("utf-8")
