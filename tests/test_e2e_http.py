"""The web app's path: an Auth-emulator ID token, a callable over HTTP through the
Functions emulator (each function in its own worker process)."""


def test_profile_round_trip_over_http(call_http, user):
    status, body = call_http("update_profile", {"timezone": "America/New_York", "displayName": "Grace"}, user.token)
    assert status == 200, body
    status, body = call_http("get_profile", {}, user.token)
    assert status == 200, body
    assert body["result"]["uid"] == user.uid
    assert body["result"]["displayName"] == "Grace"
    assert body["result"]["settings"]["timezone"] == "America/New_York"


def test_http_errors_carry_the_callable_error_codes(call_http, user):
    status, body = call_http("get_profile", {})
    assert status == 401
    assert body["error"]["status"] == "UNAUTHENTICATED"

    status, body = call_http("update_profile", {"timezone": "Nowhere/Land"}, user.token)
    assert status == 400
    assert body["error"]["status"] == "INVALID_ARGUMENT"
    assert "is not an IANA timezone" in body["error"]["message"]
    assert body["error"]["details"]["problems"][0]["field"] == "timezone"
