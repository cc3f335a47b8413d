"""The reviewer's verified checklist of a submission: every booking requirement that applies, and every attached
document's kind, each with the reviewer's verdict (verified, or failed with a rejection reason code).

The requirements engine says whether the data meets a rule; the reviewer says whether it is true (the signed order
form really is signed, the PO number really is on the PO). Order Management approves only a checklist that is
verified end to end; a failed item blocks approval and its reason code becomes a rejection reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from ordermgmt.models import Document, Opportunity

from . import requirements
from .models import Verification

DOCUMENT_PREFIX = "document:"


@dataclass(frozen=True)
class Item:
    item: str  # a requirement code, or document:<id>
    label: str
    kind: str  # "requirement" | "document"
    met: bool  # what the data says (a document's kind is there by construction)
    default_reason: str  # the rejection reason code a failure of this item feeds
    verification: Verification | None = None

    @property
    def verdict(self) -> str:
        return self.verification.verdict if self.verification else ""

    @property
    def reason_label(self) -> str:
        reason = self.verification.reason if self.verification else ""
        return dict(requirements.rejection_reasons()).get(reason, reason)


def document_item(document: Document) -> str:
    return f"{DOCUMENT_PREFIX}{document.pk}"


def _document_reason(deal: requirements.Deal, kind: str) -> str:
    """The requirement a document of `kind` satisfies (the first that fails without it), else `other`."""
    unmet_now = {result.code for result in requirements.unmet(deal)}
    without = requirements.Deal(deal.opportunity, deal.quote, deal.document_kinds - {kind})
    freed = [result.code for result in requirements.unmet(without) if result.code not in unmet_now]
    return freed[0] if freed else requirements.OTHER_REASON[0]


def items(opportunity: Opportunity, documents: list[Document], verifications=()) -> list[Item]:
    """The checklist in order: the requirements that apply (registry order), then the documents (upload order),
    each with its verification if there is one."""
    deal = requirements.Deal(opportunity, opportunity.primary_quote, frozenset(doc.kind for doc in documents))
    by_item = {v.item: v for v in verifications}
    rows = [
        Item(r.code, r.label, "requirement", r.met, r.code, by_item.get(r.code)) for r in requirements.evaluate(deal)
    ]
    rows += [
        Item(
            document_item(doc),
            f"Document is a {doc.get_kind_display().lower()}: {doc.original_name}",
            "document",
            True,
            _document_reason(deal, doc.kind),
            by_item.get(document_item(doc)),
        )
        for doc in documents
    ]
    return rows
