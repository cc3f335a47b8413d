"""The error pages are the product's own: 403, 404 and 500 styled, 500 without needing a request context."""

import pytest
from django.test import RequestFactory
from django.views.defaults import server_error


def test_the_500_page_is_styled_and_says_nothing_was_half_saved():
    response = server_error(RequestFactory().get("/anything/"))
    page = response.content.decode()
    assert response.status_code == 500
    assert 'data-testid="error-page"' in page
    assert "Nothing half-done was saved" in page
    assert "bootstrap.min.css" in page


@pytest.mark.django_db
def test_the_404_page_is_styled(client, rep):
    client.force_login(rep)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert 'data-testid="error-page"' in response.content.decode()
