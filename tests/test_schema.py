from django.core.management import call_command


def test_openapi_schema_generates_without_warnings(tmp_path, db):
    out = tmp_path / "schema.yml"
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(out))
    text = out.read_text(encoding="utf-8")
    for path in (
        "/api/v1/notices/",
        "/api/v1/notices/{id}/publish/",
        "/api/v1/organizations/",
        "/api/v1/me/",
        "/api/v1/applications/",
        "/api/v1/applications/{id}/",
        "/api/v1/applications/{id}/materials/",
        "/api/v1/applications/{id}/files/{file_id}/",
        "/api/v1/applications/{id}/engagement/",
        "/api/v1/applications/{id}/transitions/",
        "/api/v1/applications/{id}/eligibility/",
        "/api/v1/engagements/",
        "/api/v1/engagements/{id}/",
        "/api/v1/engagements/{id}/respond/",
        "/api/v1/engagements/{id}/report/",
        "/api/v1/engagements/{id}/cancel/",
    ):
        assert f"  {path}:" in text
