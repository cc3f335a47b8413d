"""Saved views per user: save the list's current query under a name, reopen it, replace it, delete it."""

import pytest
from django.core.exceptions import ValidationError

from search import services
from search.models import SavedFilter

pytestmark = pytest.mark.django_db


def test_saving_a_name_again_replaces_its_query_and_views_are_per_user(rep, other_rep):
    services.saved_filter_save(user=rep, list_name="opportunities", name="Mine", query="stage=6")
    services.saved_filter_save(user=rep, list_name="opportunities", name="Mine", query="stage=7")
    services.saved_filter_save(user=other_rep, list_name="opportunities", name="Mine", query="stage=1")

    assert SavedFilter.objects.get(user=rep).query == "stage=7"
    assert SavedFilter.objects.count() == 2


@pytest.mark.parametrize(("list_name", "name"), [("nonsense", "A"), ("cases", "  ")])
def test_an_unknown_list_or_an_empty_name_is_refused(rep, list_name, name):
    with pytest.raises(ValidationError):
        services.saved_filter_save(user=rep, list_name=list_name, name=name, query="")


def test_the_list_page_loads_its_saved_views_and_the_save_form_keeps_the_filters(client, specialist):
    client.force_login(specialist)

    page = client.get("/queue/", {"claimed_by": "none"}).content.decode()
    saved = client.post(
        "/search/saved/queue/save/",
        {"name": "Unclaimed", "query": "claimed_by=none", "next": "/queue/?claimed_by=none"},
        follow=True,
    )
    fragment = client.get("/search/saved/queue/", {"current": "claimed_by=none"}).content.decode()

    assert 'hx-get="/search/saved/queue/?current=claimed_by%3Dnone"' in page
    assert saved.redirect_chain[-1][0] == "/queue/?claimed_by=none"
    assert 'href="/queue/?claimed_by=none">Unclaimed</a>' in fragment
    assert 'name="query" value="claimed_by=none"' in fragment


def test_only_the_owner_deletes_a_saved_view(client, rep, other_rep):
    saved = services.saved_filter_save(user=rep, list_name="opportunities", name="Mine", query="stage=6")

    client.force_login(other_rep)
    client.post(f"/search/saved/{saved.pk}/delete/")
    assert SavedFilter.objects.filter(pk=saved.pk).exists()
    client.force_login(rep)
    client.post(f"/search/saved/{saved.pk}/delete/")
    assert not SavedFilter.objects.exists()


def test_an_unknown_list_is_404(client, rep):
    client.force_login(rep)
    assert client.get("/search/saved/nonsense/").status_code == 404
