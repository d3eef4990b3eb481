"""Structured logs: JSON with severity and request id; no secret or content ever."""

import json

from kernel import log


def entries(capsys):
    out = capsys.readouterr()
    return [json.loads(line) for line in (out.out + out.err).splitlines() if line.startswith("{")]


def test_entries_are_json_with_severity_and_request_id(capsys):
    rid = log.new_request_id("105445aa7843bc8bf206b12000100000/1;o=1")
    log.info("post scheduled", postId="p1", targets=3)
    log.error("publish failed", postId="p1")
    info, err = entries(capsys)
    assert info == {"severity": "INFO", "message": "post scheduled", "postId": "p1", "targets": 3, "requestId": rid}
    assert rid == "105445aa7843bc8bf206b12000100000"
    assert err["severity"] == "ERROR"


def test_secrets_and_content_are_never_written(capsys):
    log.new_request_id()
    log.info(
        "connect",
        accessToken="ya29.SECRET1",
        refresh_token="SECRET2",
        client_secret="SECRET3",
        headers={"Authorization": "Bearer SECRET4"},
        post={"text": "SECRET5 my private draft", "id": "p1"},
        items=[{"apiKey": "SECRET6"}, {"caption": "SECRET7"}],
        prompt="SECRET8",
        code="SECRET9",
        birthDate="2001-01-01",
    )
    [entry] = entries(capsys)
    assert "SECRET" not in json.dumps(entry) and "2001-01-01" not in json.dumps(entry)
    assert entry["post"]["id"] == "p1"
    assert entry["accessToken"] == log.REDACTED


def test_security_events_have_one_searchable_shape(capsys):
    log.security_event("sign_in_refused", "u1", status="disabled")
    [entry] = entries(capsys)
    assert entry["severity"] == "WARNING"
    assert entry["security"] == "sign_in_refused" and entry["uid"] == "u1"
