"""Notice attachments: upload by the issuer (checked by content), download by anyone who may see the notice."""

from pathlib import PurePath

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render

from . import selectors, services
from .forms import AttachmentForm
from .models import NoticeAttachment
from .views import issued_notice, refusal


def attachment_add(request, pk: int):
    notice = issued_notice(request, pk)
    form = AttachmentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            attachment = services.attachment_add(
                actor=request.user,
                notice=notice,
                upload=form.cleaned_data["file"],
                name=form.cleaned_data.get("name", "").strip(),
                request=request,
            )
        except ValidationError as exc:
            form.add_error("file", exc.messages)
        except PermissionDenied as exc:
            form.add_error(None, refusal(exc))
        else:
            messages.success(request, f"已上传附件“{attachment.name}”。")
            return redirect("notice-detail", pk=notice.pk)
    return render(request, "notices/attachment_form.html", {"notice": notice, "form": form})


def download_name(attachment: NoticeAttachment) -> str:
    """The name the issuer gave (the original file name by default), with the stored file's extension."""
    suffix = PurePath(attachment.file.name).suffix
    name = attachment.name.strip() or f"附件{suffix}"
    if suffix and not name.lower().endswith(suffix.lower()):
        name += suffix
    return name


def attachment_download(request, pk: int, attachment_id: int):
    notice = selectors.notice_for(request.user, pk)
    attachment = get_object_or_404(NoticeAttachment, pk=attachment_id, notice=notice)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    return FileResponse(
        handle, as_attachment=True, filename=download_name(attachment), content_type=attachment.content_type
    )
