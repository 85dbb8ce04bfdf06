"""Refuse an oversized upload while it arrives, not after it has been spooled whole to disk.

UploadLimitHandler runs first among FILE_UPLOAD_HANDLERS: a request body declared larger than
UPLOAD_MAX_REQUEST_BYTES is not read at all, and a file growing past UPLOAD_MAX_FILE_BYTES (the largest limit
any form accepts) stops the parse at once; its partial temporary file is closed and removed by Django.
UploadLimitMiddleware parses multipart bodies before CSRF and the views, and turns a refusal into a clear message:
JSON 413 for the API, back to the form with the message for pages.
"""

from django.conf import settings
from django.contrib import messages
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.utils.datastructures import MultiValueDict
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme

from greenmfg.uploads import safe_name


def _mb(size: int) -> str:
    return f"{size / 1048576:.0f} MB" if size >= 1048576 else f"{size / 1024:.0f} KB"


class UploadLimitHandler(FileUploadHandler):
    def __init__(self, request=None):
        super().__init__(request)
        self.max_file = settings.UPLOAD_MAX_FILE_BYTES
        self.max_request = settings.UPLOAD_MAX_REQUEST_BYTES

    def _refuse(self, message: str) -> None:
        if self.request is not None:
            self.request.upload_refused = message

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.request_length = content_length  # new_file() overwrites content_length with the part's own
        if content_length and content_length > self.max_request:
            self._refuse(
                f"本次提交的数据约{_mb(content_length)}，超过系统允许的上限{_mb(self.max_request)}，"
                f"未保存任何文件。单个文件不能超过{_mb(self.max_file)}，请压缩或拆分后重新上传。"
            )
            return QueryDict(encoding=encoding), MultiValueDict()  # the body is left unread
        return None

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.max_file:
            self._refuse(
                f"文件“{safe_name(self.file_name)}”超过系统允许的单个文件上限{_mb(self.max_file)}"
                f"（本次提交约{_mb(getattr(self, 'request_length', 0) or start + len(raw_data))}），未保存。"
                "请压缩或拆分后重新上传。"
            )
            # The rest of the body is under UPLOAD_MAX_REQUEST_BYTES: read and dropped, so the browser gets the answer.
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size):
        return None  # the next handler builds the file


class UploadLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "POST" and request.content_type == "multipart/form-data":
            try:
                request.FILES  # noqa: B018 - parse now, with the limits, before CSRF reads the form
            except MultiPartParserError:
                return self._answer(request, "上传的数据不完整或格式错误，请重新选择文件上传。", 400)
            message = getattr(request, "upload_refused", None)
            if message:
                return self._answer(request, message, 413)
        return self.get_response(request)

    def _answer(self, request, message: str, status: int):
        if request.path_info.startswith("/api/"):
            return JsonResponse({"detail": message}, status=status)
        back = request.META.get("HTTP_REFERER", "")
        if back and url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
            messages.error(request, message)
            return HttpResponseRedirect(back, status=303)
        return HttpResponse(
            f'<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>上传失败</title>'
            f'<p>{escape(message)}</p><p><a href="/">返回首页</a></p></html>',
            status=status,
        )
