from django.urls import path

from . import views

app_name = "approvals"

urlpatterns = [
    # rep
    path("opportunities/", views.MyOpportunitiesView.as_view(), name="my_opportunities"),
    path("opportunities/export.csv", views.MyOpportunitiesExportView.as_view(), name="my_opportunities_export"),
    path(
        "opportunities/export.xlsx",
        views.MyOpportunitiesExportView.as_view(export_format="xlsx"),
        name="my_opportunities_export_xlsx",
    ),
    path("opportunities/new/", views.OpportunityFormView.as_view(), name="opportunity_create"),
    path("opportunities/checklist/", views.ChecklistView.as_view(), name="checklist"),
    path("opportunities/contact-options/", views.ContactOptionsView.as_view(), name="contact_options"),
    path("opportunities/<int:pk>/", views.OpportunityDetailView.as_view(), name="opportunity_detail"),
    path("opportunities/<int:pk>/edit/", views.OpportunityFormView.as_view(), name="opportunity_edit"),
    path("opportunities/<int:pk>/checklist/", views.ChecklistView.as_view(), name="checklist"),
    path("opportunities/<int:pk>/contacts/", views.ContactCreateView.as_view(), name="contact_create"),
    path("opportunities/<int:pk>/documents/", views.DocumentUploadView.as_view(), name="document_upload"),
    path("opportunities/<int:pk>/documents/<int:document_id>/", views.document_view, name="document"),
    path(
        "opportunities/<int:pk>/documents/<int:document_id>/remove/",
        views.DocumentRemoveView.as_view(),
        name="document_remove",
    ),
    path(
        "opportunities/<int:pk>/documents/<int:document_id>/replace/",
        views.DocumentReplaceView.as_view(),
        name="document_replace",
    ),
    path("opportunities/<int:pk>/submit/", views.SubmitView.as_view(), name="submit"),
    path("opportunities/<int:pk>/recall/", views.RecallView.as_view(), name="recall"),
    path("opportunities/<int:pk>/escalate/", views.EscalateView.as_view(), name="escalate"),
    path("opportunities/<int:pk>/respond/", views.RespondView.as_view(), name="respond"),
    path("opportunities/<int:pk>/book-now/", views.BookNowView.as_view(), name="book_now"),
    path(
        "opportunities/<int:pk>/quote-approval/request/",
        views.QuoteApprovalRequestView.as_view(),
        name="quote_approval_request",
    ),
    path("opportunities/<int:pk>/quote-approval/", views.QuoteApproveView.as_view(), name="quote_approve"),
    path("opportunities/<int:pk>/corrections/", views.CorrectionOpenView.as_view(), name="correction_open"),
    path("corrections/<int:pk>/approve/", views.CorrectionDecideView.as_view(), name="correction_approve"),
    path("corrections/<int:pk>/reject/", views.CorrectionDecideView.as_view(approve=False), name="correction_reject"),
    path("opportunities/<int:pk>/comments/", views.CommentCreateView.as_view(), name="comment_create"),
    path(
        "opportunities/<int:pk>/comments/<int:comment_id>/attachment/",
        views.comment_attachment,
        name="comment_attachment",
    ),
    # Order Management
    path("queue/", views.QueueView.as_view(), name="queue"),
    path("queue/export.csv", views.QueueExportView.as_view(), name="queue_export"),
    path("queue/export.xlsx", views.QueueExportView.as_view(export_format="xlsx"), name="queue_export_xlsx"),
    path("queue/bulk/", views.QueueBulkView.as_view(), name="queue_bulk"),
    path("queue/<int:pk>/claim/", views.ClaimView.as_view(), name="claim"),
    path("out-of-office/", views.MyOutOfOfficeView.as_view(), name="my_out_of_office"),
    path("queue/<int:pk>/assign/", views.AssignView.as_view(), name="assign"),
    path("review/<int:pk>/", views.ReviewView.as_view(), name="review"),
    path("review/<int:pk>/approve/", views.ApproveView.as_view(), name="approve"),
    path("review/<int:pk>/reject/", views.RejectView.as_view(), name="reject"),
    path("review/<int:pk>/checklist/", views.ChecklistMarkView.as_view(), name="checklist_mark"),
    path("review/<int:pk>/needs-info/", views.AskRepView.as_view(), name="needs_info"),
    # Billing
    path("billing/", views.BillingQueueView.as_view(), name="billing_queue"),
    path("review/<int:pk>/billing-approve/", views.BillingApproveView.as_view(), name="billing_approve"),
    path("review/<int:pk>/billing-reject/", views.BillingRejectView.as_view(), name="billing_reject"),
    # managers
    path("team/", views.TeamView.as_view(), name="team"),
    path("team/<int:pk>/coverage/", views.CoverageView.as_view(), name="coverage"),
    path("team/<int:pk>/out-of-office/", views.OutOfOfficeView.as_view(), name="out_of_office"),
]
