"""Credit-record import pages for superusers and the admins of province-level or ministry authorities.

Anyone else gets a 404. The upload is read by eligibility.imports (type decided by content); the result page lists
what loaded, what was skipped as already present, and every row error with its row number.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render

from .imports import can_import, credit_records_import, row_errors, row_notes
from .models import CreditRecord, ImportBatch

PAGE_SIZE = 20
MAX_BYTES = 20 * 1024 * 1024


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label="记录类型", choices=[("", "请选择"), *CreditRecord.Kind.choices])
    file = forms.FileField(
        label="文件",
        help_text="xlsx 或 CSV（UTF-8 或 GBK），第一行为表头：统一社会信用代码、单位名称、日期、移出日期/整改完成日期、"
        "是否整改、来源、说明；名单类另需类别、层级。最大 20 MB。",
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv,text/csv"}),
    )
    source = forms.CharField(
        label="默认来源",
        required=False,
        max_length=200,
        help_text="文件中“来源”列为空或没有该列时使用，例如“信用中国（2024年5月）”",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.size:
            raise ValidationError("文件是空的。")
        if upload.size > MAX_BYTES:
            raise ValidationError(f"文件大小为{upload.size / 1048576:.1f} MB，超过上限20 MB。")
        return upload


def _importer(request):
    if not can_import(request.user):
        raise Http404
    return request.user


def import_list(request):
    _importer(request)
    qs = ImportBatch.objects.select_related("imported_by").order_by("-imported_at", "-id")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    for batch in page.object_list:
        batch.error_count = len(row_errors(batch))
    return render(request, "eligibility/import_list.html", {"page": page})


def import_new(request):
    user = _importer(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            batch = credit_records_import(
                actor=user,
                kind=form.cleaned_data["kind"],
                upload_or_path=form.cleaned_data["file"],
                source_default=form.cleaned_data["source"],
                request=request,
            )
        except ValidationError as exc:
            form.add_error("file", exc.messages)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            errors = row_errors(batch)
            text = f"已导入{batch.rows_loaded}条，重复跳过{batch.rows_skipped}条"
            if errors:
                messages.warning(request, f"{text}，{len(errors)}行有错误未导入，见下方列表。")
            else:
                messages.success(request, f"{text}。")
            return redirect("credit-import-detail", pk=batch.pk)
    return render(request, "eligibility/import_new.html", {"form": form})


def import_detail(request, pk: int):
    _importer(request)
    batch = get_object_or_404(ImportBatch.objects.select_related("imported_by"), pk=pk)
    return render(
        request,
        "eligibility/import_detail.html",
        {"batch": batch, "row_errors": row_errors(batch), "row_notes": row_notes(batch)},
    )
