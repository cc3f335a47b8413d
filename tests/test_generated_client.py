"""An integrator's first hour: generate a Python client with openapi-python-client from /api/schema/ and drive an
opportunity from draft to Closed Won through it, against a live server. No mocks: if the schema lies (content types,
status codes, error shapes), the generated code breaks here."""

import importlib
import io
import json
import subprocess
import sys
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from tests.ordermgmt.factories import (
    PASSWORD,
    PDF_BYTES,
    AccountFactory,
    BillingFactory,
    ContactFactory,
    ManagerFactory,
    RepFactory,
    SpecialistFactory,
)

PACKAGE = "ordermgmt_api_client"
GENERATOR = Path(sys.executable).parent / "openapi-python-client"


@pytest.fixture
def generated(live_server, tmp_path):
    """The client package generated from the live server's schema, imported; removed from sys.modules after."""
    with urllib.request.urlopen(f"{live_server.url}/api/v1/schema/?format=json", timeout=30) as answer:
        (tmp_path / "openapi.json").write_bytes(answer.read())
    (tmp_path / "config.json").write_text(json.dumps({"project_name_override": PACKAGE, "post_hooks": []}))
    result = subprocess.run(
        [
            str(GENERATOR),
            "generate",
            "--path",
            "openapi.json",
            "--config",
            "config.json",
            "--meta",
            "none",
            "--output-path",
            PACKAGE,
        ],  # fmt: skip
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Warning" not in result.stdout, result.stdout  # every operation and model made it into the client
    sys.path.insert(0, str(tmp_path))
    try:
        yield lambda name: importlib.import_module(f"{PACKAGE}.{name}")
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def test_a_generated_client_drives_an_opportunity_from_draft_to_closed_won(live_server, generated):
    # given: people and a customer (the API has no endpoint for users)
    rep, specialist, manager, billing = RepFactory(), SpecialistFactory(), ManagerFactory(), BillingFactory()
    account = AccountFactory()
    contact = ContactFactory(account=account)
    client_module, types, models = generated("client"), generated("types"), generated("models")
    auth = generated("api.auth.auth_token_create")
    api = {
        name: generated(f"api.opportunities.opportunities_{name}")
        for name in (
            "create",
            "documents_create",
            "approve_quote_create",
            "submit_create",
            "claim_create",
            "approve_create",
            "billing_approve_create",
            "history_list",
        )  # fmt: skip
    }

    def signed_in(user):
        anonymous = client_module.Client(base_url=live_server.url, raise_on_unexpected_status=True)
        issued = auth.sync(client=anonymous, body=models.AuthTokenRequest(username=user.username, password=PASSWORD))
        assert isinstance(issued, models.IssuedToken), issued
        return client_module.AuthenticatedClient(
            base_url=live_server.url, token=issued.token, prefix="Token", raise_on_unexpected_status=True
        )

    as_rep, as_specialist, as_manager, as_billing = map(signed_in, (rep, specialist, manager, billing))
    start = timezone.localdate()

    # when: the rep keys the deal in, attaches the signed order form; Deal Desk's stand-in approves the quote
    created = api["create"].sync_detailed(
        client=as_rep,
        body=models.OpportunityRequest(
            name="Generated client deal",
            account=account.pk,
            type_=models.TypeEnum.NEW_BUSINESS,
            deployment=models.DeploymentEnum.SELF_MANAGED,
            route_to_market=models.RouteToMarketEnum.DIRECT,
            stage=models.StageEnum.VALUE_6,
            amount="12500.00",
            net_arr="12500.00",
            arr_basis="0.00",
            start_date=start,
            end_date=start + timedelta(days=364),
            closed_won_reason="Product fit",
            closed_won_details="Chose us",
            competitors="Other Vendor",
            executed_agreement_type=models.ExecutedAgreementTypeEnum.SIGNED_ORDER_FORM,
            primary_quote=models.QuoteRequest(
                number="Q-GEN-1",
                sold_to_contact=contact.pk,
                bill_to_contact=contact.pk,
                amount="12500.00",
                start_date=start,
                term_months=12,
                payment_terms=models.PaymentTermsEnum.NET_30,
            ),
        ),
    )
    assert created.status_code == 201, created.content
    opp = created.parsed
    assert (opp.owner, opp.approval_status) == (rep.pk, models.ApprovalStatusEnum.DRAFT)
    document = api["documents_create"].sync(
        opp.id,
        client=as_rep,
        body=models.DocumentRequest(
            kind=models.DocumentKindEnum.SIGNED_ORDER_FORM,
            file=types.File(payload=io.BytesIO(PDF_BYTES), file_name="order-form.pdf", mime_type="application/pdf"),
        ),
    )
    assert isinstance(document, models.Document), document
    assert api["approve_quote_create"].sync(opp.id, client=as_manager).primary_quote.approved is True

    # then: submit, claim and approve in Order Management, Billing closes it
    submitted = api["submit_create"].sync(opp.id, client=as_rep)
    assert isinstance(submitted, models.Opportunity), submitted
    assert submitted.approval_status == models.ApprovalStatusEnum.SUBMITTED
    assert isinstance(api["claim_create"].sync(opp.id, client=as_specialist), models.Opportunity)
    approved = api["approve_create"].sync(opp.id, client=as_specialist, body=models.CommentInputRequest(comment="OK"))
    assert approved.approval_status == models.ApprovalStatusEnum.OM_APPROVED
    closed = api["billing_approve_create"].sync(opp.id, client=as_billing)
    assert isinstance(closed, models.Opportunity), closed
    assert (closed.stage, closed.approval_status) == (models.StageEnum.CLOSED_WON, models.ApprovalStatusEnum.CLOSED_WON)

    # and the history, read through the client, tells the story oldest first
    history = api["history_list"].sync(opp.id, client=as_rep)
    actions = [entry.action for entry in history]
    assert actions[0] == "created"
    assert {"submitted", "claimed", "om_approved", "closed_won"} <= set(actions), actions

    # and an error comes back typed, with its machine-readable code
    refused = api["submit_create"].sync_detailed(opp.id, client=as_specialist)
    assert refused.status_code in (403, 404, 409)
    assert isinstance(refused.parsed, models.Error)
    assert refused.parsed.code
