"""The navbar's search box lands here: every role, within its own scope. Saved views of the lists live here too."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from ordermgmt.web import error_text, safe_next

from . import selectors, services

LIMIT = 50
# The lists that keep saved views, by the URL name of their page.
LIST_URLS = {"queue": "approvals:queue", "opportunities": "approvals:my_opportunities", "cases": "cases:list"}


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


class SavedFilterListView(LoginRequiredMixin, TemplateView):
    """The saved views of one list, and a form to save the current one: loaded into the list page by htmx, so the
    lists below this app need not import it."""

    template_name = "search/partials/_saved_filters.html"

    def get_context_data(self, **kwargs):
        list_name = kwargs["list_name"]
        if list_name not in LIST_URLS:
            raise Http404("No such list.")
        current = self.request.GET.get("current", "")[:1000]
        list_url = reverse(LIST_URLS[list_name])
        return super().get_context_data(
            saved=selectors.saved_filter_list(user=self.request.user, list_name=list_name),
            list_url=list_url,
            current=current,
            here=f"{list_url}?{current}" if current else list_url,
            **kwargs,
        )


class SavedFilterSaveView(LoginRequiredMixin, View):
    def post(self, request, list_name):
        back = safe_next(request, reverse(LIST_URLS.get(list_name, "home")))
        try:
            saved = services.saved_filter_save(
                user=request.user,
                list_name=list_name,
                name=request.POST.get("name", "")[:60],
                query=request.POST.get("query", "")[:1000],
            )
            messages.success(request, f"Saved the view “{saved.name}”.")
        except ValidationError as exc:
            messages.error(request, error_text(exc))
        return redirect(back)


class SavedFilterDeleteView(LoginRequiredMixin, View):
    def post(self, request, pk):
        services.saved_filter_delete(user=request.user, saved_filter_id=pk)
        messages.success(request, "Saved view deleted.")
        return redirect(safe_next(request, reverse("home")))
