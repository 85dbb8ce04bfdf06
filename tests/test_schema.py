from django.core.management import call_command


def test_openapi_schema_generates_without_warnings(tmp_path, db):
    out = tmp_path / "schema.yml"
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(out))
    text = out.read_text(encoding="utf-8")
    for path in ("/api/v1/notices/", "/api/v1/notices/{id}/publish/", "/api/v1/organizations/", "/api/v1/me/"):
        assert f"  {path}:" in text
