"""Token crypto: AES-GCM with key ids, so tampering is detected and keys rotate."""

import base64
import json

import pytest

from kernel import crypto
from kernel.crypto import DecryptionError, Keyring


@pytest.fixture
def ring():
    return Keyring.parse(Keyring.generate("k1"))


def test_round_trip_and_ciphertext_hides_the_token(ring):
    sealed = crypto.seal("ya29.secret-access-token", "accounts/a1:accessToken", ring)
    assert "secret" not in sealed and sealed.startswith("v1.k1.")
    assert crypto.open_sealed(sealed, "accounts/a1:accessToken", ring) == "ya29.secret-access-token"
    # A fresh nonce each time: the same token never gives the same ciphertext.
    assert sealed != crypto.seal("ya29.secret-access-token", "accounts/a1:accessToken", ring)


def test_any_flipped_byte_is_detected(ring):
    sealed = crypto.seal("token", "ctx", ring)
    version, kid, payload = sealed.split(".")
    blob = bytearray(base64.urlsafe_b64decode(payload))
    for i in range(len(blob)):
        tampered = bytearray(blob)
        tampered[i] ^= 0x01
        with pytest.raises(DecryptionError):
            crypto.open_sealed(f"{version}.{kid}.{base64.urlsafe_b64encode(bytes(tampered)).decode()}", "ctx", ring)


def test_a_ciphertext_moved_to_another_account_does_not_open(ring):
    sealed = crypto.seal("token", "accounts/a1:refreshToken", ring)
    with pytest.raises(DecryptionError):
        crypto.open_sealed(sealed, "accounts/a2:refreshToken", ring)


@pytest.mark.parametrize("bad", ["", "garbage", "v2.k1.AAAA", "v1.k1.!!!", "v1.k9.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"])
def test_malformed_values_are_refused(ring, bad):
    with pytest.raises(DecryptionError):
        crypto.open_sealed(bad, "ctx", ring)


def test_rotation_keeps_old_tokens_readable_and_seals_new_ones_with_the_new_key(ring):
    old = crypto.seal("refresh-1", "ctx", ring)
    rotated = Keyring.parse(json.dumps({
        "current": "k2",
        "keys": {"k1": base64.b64encode(ring.keys["k1"]).decode(),
                 "k2": base64.b64encode(b"\x07" * 32).decode()},
    }))
    assert crypto.open_sealed(old, "ctx", rotated) == "refresh-1"
    assert crypto.needs_rotation(old, rotated)
    resealed = crypto.reseal(old, "ctx", rotated)
    assert resealed.startswith("v1.k2.") and not crypto.needs_rotation(resealed, rotated)
    assert crypto.open_sealed(resealed, "ctx", rotated) == "refresh-1"
    # Once k1 is retired, only what was re-sealed still opens.
    retired = Keyring.parse(json.dumps({"current": "k2", "keys": {"k2": base64.b64encode(b"\x07" * 32).decode()}}))
    assert crypto.open_sealed(resealed, "ctx", retired) == "refresh-1"
    with pytest.raises(DecryptionError, match="not in the keyring"):
        crypto.open_sealed(old, "ctx", retired)


@pytest.mark.parametrize("raw", [
    "not json",
    json.dumps({"current": "k1", "keys": {}}),
    json.dumps({"current": "k1", "keys": {"k1": base64.b64encode(b"short").decode()}}),
    json.dumps({"current": "k.1", "keys": {"k.1": base64.b64encode(b"\x01" * 32).decode()}}),
])
def test_a_bad_keyring_is_refused(raw):
    with pytest.raises(ValueError):
        Keyring.parse(raw)


def test_the_keyring_comes_from_the_secret_param(monkeypatch):
    monkeypatch.setenv("TOKEN_ENCRYPTION_KEYS", Keyring.generate("prod7"))
    assert crypto.seal("t", "ctx").startswith("v1.prod7.")
    monkeypatch.delenv("TOKEN_ENCRYPTION_KEYS")
    from kernel.errors import Internal

    with pytest.raises(Internal):
        crypto.seal("t", "ctx")


def _ring(current: str, *kids: str) -> str:
    """A keyring whose key for a kid is always the same bytes (derived from the kid)."""
    import hashlib

    keys = {kid: base64.b64encode(hashlib.sha256(kid.encode()).digest()).decode() for kid in kids}
    return json.dumps({"current": current, "keys": keys})


def test_the_daily_job_moves_every_sealed_value_to_the_current_key_so_the_old_one_can_go(db, monkeypatch):
    """Tokens and an app secret sealed under `rot-old`; the keyring gains `rot-new` as current;
    the job reseals them; then `rot-old` leaves the keyring and every value still opens."""
    import uuid

    from accounts import store as account_store
    from handlers import accounts
    from kernel.collections import MASTODON_APPS
    from platforms.base import Profile, Tokens

    old, new = f"old{uuid.uuid4().hex[:6]}", f"new{uuid.uuid4().hex[:6]}"
    monkeypatch.setenv("TOKEN_ENCRYPTION_KEYS", _ring(old, old))
    uid = f"rot-{uuid.uuid4().hex[:8]}"
    tokens = Tokens("access-1", "refresh-1", None, ["read"], {"instance": "https://example.social"})
    account_id, _ = account_store.save(uid, "mastodon", Profile("a1", "h", "H", None, None), tokens)
    app = db.collection(MASTODON_APPS).document()
    app.set({"instance": "https://example.social", "clientSecret": crypto.seal("secret-1", f"{MASTODON_APPS}/{app.id}")})
    sealed_before = db.collection("accountTokens").document(account_id).get().to_dict()
    assert sealed_before["access"].startswith(f"v1.{old}.")

    monkeypatch.setenv("TOKEN_ENCRYPTION_KEYS", _ring(new, old, new))
    report = accounts.reseal_tokens()
    assert report["resealed"] >= 4 and report["left"] == {old: 0}
    stored = db.collection("accountTokens").document(account_id).get().to_dict()
    assert all(stored[f].startswith(f"v1.{new}.") for f in ("access", "refresh", "extra"))
    assert app.get().get("clientSecret").startswith(f"v1.{new}.")
    assert accounts.reseal_tokens()["resealed"] == 0  # nothing left: a second run changes nothing

    monkeypatch.setenv("TOKEN_ENCRYPTION_KEYS", _ring(new, new))  # the old key retired
    reopened = account_store.load_tokens(account_id)
    assert (reopened.access_token, reopened.refresh_token, reopened.extra) == ("access-1", "refresh-1",
                                                                              {"instance": "https://example.social"})
    assert crypto.open_sealed(app.get().get("clientSecret"), f"{MASTODON_APPS}/{app.id}") == "secret-1"
