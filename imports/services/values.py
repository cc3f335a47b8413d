"""What a Salesforce row becomes: the tables mapping Salesforce's stage and type names to ours, the value parsers,
and the shapes of a checked row (`_Clean`) and of a row's outcome (`RowResult`), with the refusal that names the
file's column."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from ordermgmt.models import Opportunity, User

_Stage = Opportunity.Stage


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


# Salesforce StageName -> our stage: our own names (code or label, the GitLab stage set), then Salesforce's default
# sales process. Stages the approval workflow sets (7-Closing, Closed Won, 10-Duplicate) are refused, not mapped.
STAGES: dict[str, str] = {
    **{_norm(code): code for code in _Stage.values},
    **{_norm(label): code for code, label in _Stage.choices},
    **{
        _norm(name): code
        for name, code in {
            "Pending Acceptance": _Stage.PENDING_ACCEPTANCE,
            "Prospecting": _Stage.DISCOVERY,
            "Qualification": _Stage.DISCOVERY,
            "Discovery": _Stage.DISCOVERY,
            "Needs Analysis": _Stage.SCOPING,
            "Scoping": _Stage.SCOPING,
            "Value Proposition": _Stage.TECHNICAL_EVALUATION,
            "Id. Decision Makers": _Stage.TECHNICAL_EVALUATION,
            "Perception Analysis": _Stage.TECHNICAL_EVALUATION,
            "Technical Evaluation": _Stage.TECHNICAL_EVALUATION,
            "Proposal/Price Quote": _Stage.PROPOSAL,
            "Proposal": _Stage.PROPOSAL,
            "Negotiation/Review": _Stage.NEGOTIATING,
            "Negotiating": _Stage.NEGOTIATING,
            "Awaiting Signature": _Stage.AWAITING_SIGNATURE,
            "Closed Lost": _Stage.CLOSED_LOST,
            "Closing": _Stage.CLOSING,
            "Duplicate": _Stage.DUPLICATE,
        }.items()
    },
}
TYPES = {
    _norm(name): code
    for name, code in {
        "New Business": Opportunity.Type.NEW_BUSINESS,
        "New Customer": Opportunity.Type.NEW_BUSINESS,
        "Add-On Business": Opportunity.Type.ADD_ON,
        "Add-On": Opportunity.Type.ADD_ON,
        "Existing Customer - Upgrade": Opportunity.Type.ADD_ON,
        "Renewal": Opportunity.Type.RENEWAL,
        "Existing Customer - Replacement": Opportunity.Type.RENEWAL,
        "Existing Business": Opportunity.Type.RENEWAL,
    }.items()
}
MAX_MONEY = Decimal("999999999999.99")  # 14 digits, 2 decimals: the model's fields


def _us_date(text: str) -> date:
    """M/D/YYYY, as a Salesforce report exported with US locale writes a date."""
    match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
    if not match:
        raise ValueError(text)
    return date(int(match[3]), int(match[1]), int(match[2]))


class RowRefused(Exception):
    """This row is not imported; `column` is the file's column the reason is about."""

    def __init__(self, column: str, reason: str):
        super().__init__(f"{column}: {reason}")
        self.column, self.reason = column, reason


@dataclass
class RowResult:
    outcome: str
    external_id: str = ""
    name: str = ""
    column: str = ""
    reason: str = ""
    changes: dict[str, Any] = field(default_factory=dict)
    opportunity_id: int | None = None
    accounts_created: int = 0
    contacts_created: int = 0


# ---------------------------------------------------------------------------------------------------------------
# One row


class _Ref(NamedTuple):
    pk: int
    object_id: int


@dataclass
class _Clean:
    external_id: str
    name: str
    stage: str
    amount: Decimal
    close_date: date
    owner: User
    account_name: str
    account_id: str = ""
    account_country: str = ""
    account_region: str = ""
    type: str | None = None
    net_arr: Decimal | None = None
    start_date: date | None = None
    end_date: date | None = None
    contact_id: str = ""
    contact_name: str = ""
    contact_email: str = ""
    quote_number: str = ""
    term_months: int | None = None
