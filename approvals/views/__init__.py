"""The approvals pages, by audience: the rep's opportunities and forms, the specialist's and Billing's queues, the
review page, the manager's team page.

Every view follows the same shape: check the input's shape with a form, look the object up through a selector,
call one service, then redirect with a message (Post/Redirect/Get). Domain refusals become messages (or a 403
page), never a server error.
"""

from .conversation import AskRepView, CommentCreateView, RespondView, comment_attachment
from .corrections import CorrectionDecideView, CorrectionOpenView
from .editing import (
    ChecklistView,
    ContactCreateView,
    ContactOptionsView,
    DocumentRemoveView,
    DocumentReplaceView,
    DocumentUploadView,
    OpportunityFormView,
    document_view,
)
from .opportunities import (
    BookNowView,
    EscalateView,
    MyOpportunitiesExportView,
    MyOpportunitiesView,
    OpportunityDetailView,
    QuoteApprovalRequestView,
    QuoteApproveView,
    RecallView,
    SubmitView,
)
from .queue import AssignView, BillingQueueView, ClaimView, QueueBulkView, QueueExportView, QueueView
from .review import ApproveView, BillingApproveView, BillingRejectView, ChecklistMarkView, RejectView, ReviewView
from .team import CoverageView, MyOutOfOfficeView, OutOfOfficeView, TeamView

__all__ = [
    "ApproveView",
    "AskRepView",
    "AssignView",
    "BillingApproveView",
    "ChecklistMarkView",
    "BillingQueueView",
    "BillingRejectView",
    "BookNowView",
    "ChecklistView",
    "ClaimView",
    "CommentCreateView",
    "CorrectionDecideView",
    "CorrectionOpenView",
    "ContactCreateView",
    "ContactOptionsView",
    "CoverageView",
    "DocumentRemoveView",
    "DocumentReplaceView",
    "DocumentUploadView",
    "EscalateView",
    "MyOpportunitiesExportView",
    "MyOpportunitiesView",
    "MyOutOfOfficeView",
    "OpportunityDetailView",
    "OpportunityFormView",
    "OutOfOfficeView",
    "QueueBulkView",
    "QueueExportView",
    "QueueView",
    "QuoteApprovalRequestView",
    "QuoteApproveView",
    "RecallView",
    "RejectView",
    "RespondView",
    "ReviewView",
    "SubmitView",
    "TeamView",
    "comment_attachment",
    "document_view",
]
