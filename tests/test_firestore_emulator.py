"""The Firestore the stack runs, and what a person sees when it misbehaves: a
machine without the emulator stops with what to install; the clients carry on
across an emulator restart; contention and an unreachable store answer a
retryable error, never INTERNAL."""

import os
import subprocess
import urllib.request

import pytest

import localstack


def test_a_machine_without_the_emulator_stops_naming_the_package(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no gcloud: the Cloud SDK is not installed
    monkeypatch.setattr(localstack, "JAR_CACHE", tmp_path / "cache")  # nothing cached
    monkeypatch.setenv("POSTR_OFFLINE", "1")  # and nothing to download from
    with pytest.raises(RuntimeError) as stop:
        localstack.firestore_emulator()
    message = str(stop.value)
    assert "google-cloud-cli-firestore-emulator" in message
    assert "apt-get install google-cloud-cli-firestore-emulator" in message
    assert "setup:emulators:firestore" in message


def test_the_emulator_is_found_through_the_cloud_sdk():
    jar, where = localstack.firestore_emulator()
    assert jar.is_file() and "Cloud SDK" in where


def _start(jar, port):
    proc = subprocess.Popen(localstack.firestore_command(jar, port), env=localstack.java_env(dict(os.environ)),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)

    def ready() -> bool:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as r:
            return r.status == 200

    localstack.wait_for(ready, 60, "Firestore emulator")
    return proc


def test_a_client_carries_on_after_the_emulator_restarts(stack, monkeypatch):
    """A restart between tests (or under `make dev`) needs no new client: the channel
    reconnects. The emulator keeps data in memory, so what was written before is gone,
    and a test never relies on another's data."""
    from google.cloud import firestore

    jar, _ = localstack.firestore_emulator()
    port = localstack.free_port()
    proc = _start(jar, port)
    try:
        monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", f"127.0.0.1:{port}")
        client = firestore.Client(project=localstack.PROJECT)
        client.collection("restart").document("a").set({"v": 1})
        proc.terminate()
        proc.wait(timeout=30)
        proc = _start(jar, port)
        assert not client.collection("restart").document("a").get().exists
        client.collection("restart").document("b").set({"v": 2})
        assert client.collection("restart").document("b").get().get("v") == 2
    finally:
        proc.kill()
        proc.wait(timeout=30)


class _Request:
    """What edge.run reads of a callable request."""

    def __init__(self, uid: str):
        self.auth = type("Auth", (), {"uid": uid, "token": {}})()
        self.data = {}
        self.raw_request = None


@pytest.mark.parametrize("raised, code, status", [
    ("Aborted", "ABORTED", 409),
    ("ServiceUnavailable", "UNAVAILABLE", 503),
    ("DeadlineExceeded", "UNAVAILABLE", 503),
])
def test_contention_or_an_unreachable_store_is_a_retryable_error(user, raised, code, status):
    from firebase_functions import https_fn
    from google.api_core import exceptions
    from pydantic import BaseModel

    from handlers import edge

    class Empty(BaseModel):
        pass

    @edge.callable_handler(Empty)
    def handler(caller, payload):
        raise getattr(exceptions, raised)("the store said no")

    with pytest.raises(https_fn.HttpsError) as refused:
        edge.run(_Request(user.uid), handler)
    assert refused.value.code.name == code
    assert refused.value._http_error_code.status == status
    assert "try again" in refused.value.message and "the store said no" not in refused.value.message
    assert refused.value.details == {"retryable": True}
