"""OAuth token encryption at rest: AES-256-GCM with a keyring.

The keyring is the TOKEN_ENCRYPTION_KEYS secret: {"current": kid, "keys": {kid: base64 key}}.
Each sealed value carries the id of the key that sealed it, so keys rotate by adding
a new one and making it current: old ciphertexts still open, new ones use the new key,
and `needs_rotation` tells a job what to re-seal. The associated data binds a
ciphertext to where it is stored (for example the account document and field), so a
ciphertext copied to another account or field does not open.
"""

import base64
import json
import os
from dataclasses import dataclass

from kernel import settings
from kernel.errors import Internal

_VERSION = "v1"
_NONCE_BYTES = 12


class DecryptionError(Exception):
    """The value was tampered with, bound to another place, or its key is gone."""


@dataclass(frozen=True)
class Keyring:
    current: str
    keys: dict[str, bytes]

    @classmethod
    def parse(cls, raw: str) -> "Keyring":
        try:
            data = json.loads(raw)
            keys = {kid: base64.b64decode(k, validate=True) for kid, k in data["keys"].items()}
            current = data["current"]
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError("TOKEN_ENCRYPTION_KEYS is not a valid keyring") from exc
        if current not in keys:
            raise ValueError("TOKEN_ENCRYPTION_KEYS: the current key id has no key")
        for kid, key in keys.items():
            if len(key) != 32:
                raise ValueError(f"TOKEN_ENCRYPTION_KEYS: key {kid!r} is not 32 bytes")
            if "." in kid:
                raise ValueError(f"TOKEN_ENCRYPTION_KEYS: key id {kid!r} may not contain '.'")
        return cls(current=current, keys=keys)

    @staticmethod
    def generate(kid: str = "k1") -> str:
        """A fresh keyring value, for `make dev` and tests."""
        key = base64.b64encode(os.urandom(32)).decode()
        return json.dumps({"current": kid, "keys": {kid: key}})


def keyring() -> Keyring:
    raw = settings.secret_value(settings.TOKEN_ENCRYPTION_KEYS)
    if not raw:
        raise Internal("Token encryption is not configured.")
    return Keyring.parse(raw)


def seal(plaintext: str, context: str, ring: Keyring | None = None) -> str:
    """Encrypt `plaintext` bound to `context`; returns "v1.<kid>.<base64 nonce+ciphertext>"."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    ring = ring or keyring()
    nonce = os.urandom(_NONCE_BYTES)
    ct = AESGCM(ring.keys[ring.current]).encrypt(nonce, plaintext.encode(), context.encode())
    return f"{_VERSION}.{ring.current}.{base64.urlsafe_b64encode(nonce + ct).decode()}"


def open_sealed(sealed: str, context: str, ring: Keyring | None = None) -> str:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    ring = ring or keyring()
    try:
        version, kid, payload = sealed.split(".", 2)
        blob = base64.urlsafe_b64decode(payload)
    except (ValueError, AttributeError) as exc:
        raise DecryptionError("not a sealed value") from exc
    if len(blob) < _NONCE_BYTES + 16:  # nonce + GCM tag at the least
        raise DecryptionError("sealed value is truncated")
    if version != _VERSION:
        raise DecryptionError(f"unknown format {version!r}")
    key = ring.keys.get(kid)
    if key is None:
        raise DecryptionError(f"key {kid!r} is not in the keyring")
    try:
        return AESGCM(key).decrypt(blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], context.encode()).decode()
    except InvalidTag as exc:
        raise DecryptionError("ciphertext failed authentication") from exc


def needs_rotation(sealed: str, ring: Keyring | None = None) -> bool:
    ring = ring or keyring()
    return sealed.split(".", 2)[1] != ring.current


def reseal(sealed: str, context: str, ring: Keyring | None = None) -> str:
    """Re-encrypt under the current key (key rotation)."""
    ring = ring or keyring()
    return seal(open_sealed(sealed, context, ring), context, ring)
