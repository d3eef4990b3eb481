"""Fixtures for connect flows: network fakes wired to the modules, and the
OAuth callback called as the browser calls it (a GET with the network's query
and the web app's __session cookie)."""

import urllib.parse

import pytest


@pytest.fixture
def callback(main):
    """callback(redirect_url_or_query, session_token) -> (status, Location, outcome dict)."""
    import flask

    app = flask.Flask("postr-callback-tests")

    def invoke(url: str, session: str | None = None):
        query = urllib.parse.urlsplit(url).query if "?" in url else url
        headers = {"Cookie": f"__session={session}"} if session else {}
        with app.test_request_context(f"/oauth_callback?{query}", method="GET", headers=headers):
            response = main.oauth_callback(flask.request)
        location = response.headers.get("Location", "")
        outcome = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))
        return response.status_code, location, outcome

    return invoke
