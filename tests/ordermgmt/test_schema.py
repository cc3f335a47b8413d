"""The OpenAPI schema says what the server does: JSON bodies (multipart only for uploads), the success status each
create answers, the error shapes, and the committed docs/openapi.yaml is the code's schema."""

import difflib
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from tests.ordermgmt.factories import AccountFactory, OpportunityFactory

pytestmark = pytest.mark.django_db

COMMITTED = Path(settings.BASE_DIR) / "docs" / "openapi.yaml"
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from drf_spectacular.generators import SchemaGenerator

    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def success_codes(operation) -> set[int]:
    return {int(code) for code in operation["responses"] if code.startswith("2")}


def test_every_request_body_is_json_except_the_uploads(schema):
    uploads = set()
    for path, method, operation in operations(schema):
        types = set(operation.get("requestBody", {}).get("content", {}))
        assert "application/x-www-form-urlencoded" not in types, (method, path)
        if "multipart/form-data" in types:
            uploads.add(path)
    assert {
        "/api/opportunities/{id}/documents/",
        "/api/opportunities/{id}/documents/{document_id}/replace/",
        "/api/cases/{id}/attachments/",
    } <= uploads


def test_form_encoded_bodies_are_refused_with_415(as_user, rep):
    response = as_user(rep).post("/api/accounts/", {"name": "Form Co"}, format="multipart")

    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


def test_every_create_on_a_collection_documents_201_or_202(schema):
    creates = [(path, item["post"]) for path, item in schema["paths"].items() if {"get", "post"} <= set(item)]
    assert len(creates) >= 8
    for path, operation in creates:
        if "{" not in path:  # a collection, not an action such as /documents/ (checked below by calling it)
            assert success_codes(operation) & {201, 202}, (path, success_codes(operation))


@pytest.mark.parametrize(
    ("who", "path", "body", "fmt"),
    [
        ("rep", "/api/accounts/", {"name": "Schema Co", "region": "AMER", "country": "US"}, "json"),
        ("rep", "/api/opportunities/", "opportunity", "json"),
        ("rep", "/api/opportunities/{id}/documents/", "document", "multipart"),
        ("rep", "/api/auth/tokens/", {"name": "CI"}, "json"),
        ("manager", "/api/reconciliation/runs/", {"kind": "renewals"}, "json"),
    ],
)
def test_a_create_answers_the_status_its_schema_documents(schema, as_user, rep, manager, who, path, body, fmt):
    # given
    user = {"rep": rep, "manager": manager}[who]
    opp = OpportunityFactory(owner=rep)
    if body == "opportunity":
        body = {"name": "Schema deal", "account": AccountFactory().pk, "type": "new_business",
                "route_to_market": "direct", "stage": "4-proposal", "amount": "10.00", "net_arr": "10.00"}  # fmt: skip
    elif body == "document":
        body = {"kind": "signed_order_form", "file": SimpleUploadedFile("o.pdf", PDF_BYTES, "application/pdf")}
    documented = success_codes(schema["paths"][path]["post"])

    # when
    response = as_user(user).post(path.replace("{id}", str(opp.pk)), body, format=fmt)

    # then
    assert response.status_code in documented, (response.status_code, documented, response.content[:300])


def test_every_operation_documents_its_errors_with_the_shared_components(schema):
    components = schema["components"]["schemas"]
    assert {"Error", "ValidationError", "FieldError"} <= set(components)
    assert components["Error"]["required"] == ["detail", "code"]
    for path, method, operation in operations(schema):
        responses = operation["responses"]
        if path != "/api/auth/token/":
            assert {"401", "403"} <= set(responses), (method, path)
        if "{" in path:
            assert "404" in responses, (method, path)
        if method in {"post", "patch", "put"}:
            assert {"400", "409"} <= set(responses), (method, path)
        for code, response in responses.items():
            if code.startswith("4"):
                assert response["content"]["application/json"]["schema"], (method, path, code)


def test_error_answers_carry_a_machine_readable_code_and_field_errors(api, as_user, rep):
    opp = OpportunityFactory(owner=rep)

    anonymous = api.get("/api/opportunities/")
    bad = as_user(rep).post("/api/opportunities/", {"name": "", "type": "nonsense"}, format="json")
    missing = as_user(rep).get("/api/opportunities/999999999/")
    conflict = as_user(rep).post(f"/api/opportunities/{opp.pk}/recall/", {}, format="json")

    assert (anonymous.status_code, anonymous.json()["code"]) == (401, "not_authenticated")
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
    assert bad.status_code == 400
    body = bad.json()
    assert body["code"] == "invalid"
    assert body["type"]  # the documented {field: [messages]} shape stays
    assert ("type", "invalid_choice") in {(error["field"], error["code"]) for error in body["errors"]}
    assert conflict.status_code in (400, 409)
    assert {"detail", "code"} <= set(conflict.json())


def test_the_committed_schema_is_the_codes_schema(tmp_path):
    generated = tmp_path / "openapi.yaml"
    call_command("spectacular", "--file", str(generated))

    expected, actual = COMMITTED.read_text(), generated.read_text()
    if expected != actual:
        diff = difflib.unified_diff(
            expected.splitlines(),
            actual.splitlines(),
            "docs/openapi.yaml (committed)",
            "the code's schema",
            lineterm="",
        )
        head = "\n".join(list(diff)[:60])
        pytest.fail(f"docs/openapi.yaml is out of date: run `make schema` and commit it.\n{head}")
