"""The navbar's search box lands here: every role, within its own scope."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import TemplateView

from . import selectors

LIMIT = 50


class SearchView(LoginRequiredMixin, TemplateView):
    template_name = "search/results.html"

    def get_context_data(self, **kwargs):
        q = self.request.GET.get("q", "").strip()[:100]
        ctx = super().get_context_data(q=q, too_short=0 < len(q) < selectors.MIN_LENGTH, limit=LIMIT, **kwargs)
        if len(q) >= selectors.MIN_LENGTH:
            user = self.request.user
            ctx["opportunities"] = list(selectors.opportunity_search(user=user, q=q)[: LIMIT + 1])
            ctx["cases"] = list(selectors.case_search(user=user, q=q)[: LIMIT + 1])
        return ctx
