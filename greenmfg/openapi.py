"""OpenAPI post-processing: the error answers every operation of a kind gives, documented once here rather than on
each view (a client reading the schema must find every status code the API can answer)."""

ERROR_DETAIL = {
    "type": "object",
    "properties": {"detail": {"type": "string", "description": "原因（中文）"}},
    "required": ["detail"],
}
REQUEST_ERRORS = {
    "type": "object",
    "description": '按字段名列出的错误，或 {"detail": "原因"}',
}
FIELD_ERRORS = {
    "type": "object",
    "description": "按参数名列出的错误",
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
}


def _answer(description: str, schema_name: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_name}"}}},
    }


def document_common_errors(result, generator, request, public):
    """403 when the caller is not logged in, 404 for an unknown object or page, 400 for a malformed filter."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("ErrorDetail", ERROR_DETAIL)
    schemas.setdefault("QueryErrors", FIELD_ERRORS)
    schemas.setdefault("RequestErrors", REQUEST_ERRORS)
    for item in result.get("paths", {}).values():
        for method, operation in item.items():
            if method not in ("get", "put", "post", "patch", "delete"):
                continue
            responses = operation.setdefault("responses", {})
            security = operation.get("security")
            parameters = operation.get("parameters", [])
            query = {p["name"] for p in parameters if p.get("in") == "query"}
            # Session authentication comes first, so DRF answers a missing or bad token with 403, not 401.
            if security and {} not in security:
                responses.setdefault("403", _answer("未登录，或令牌无效；已登录时为无权办理", "ErrorDetail"))
            if any(p.get("in") == "path" for p in parameters):
                responses.setdefault("404", _answer("不存在，或您无权查看", "ErrorDetail"))
            if "page" in query:
                responses.setdefault("404", _answer("页码无效（超出范围或不是正整数）", "ErrorDetail"))
            if "requestBody" in operation:
                # DRF's parsers answer before the view: a body it cannot read, or of a type the view does not take.
                responses.setdefault("400", _answer("请求内容无法解析，或字段有误", "RequestErrors"))
                responses.setdefault("415", _answer("请求内容的类型不受支持", "ErrorDetail"))
            if method == "get" and query - {"page"}:
                responses.setdefault("400", _answer("查询参数有误（按参数名列出）", "QueryErrors"))
            operation["responses"] = dict(sorted(responses.items()))
    return result
