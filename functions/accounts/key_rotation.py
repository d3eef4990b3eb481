"""Moving sealed values to the current token-encryption key, so an old key can be
retired (policy 5: encryption at rest, keys that can rotate).

Every sealed value is "v1.<kid>.<payload>" (kernel.crypto), so the values still
under an old key are found with a range query on their prefix, key by key,
never by reading everything. `SEALED` declares every field that holds one and
the context it is bound to; a value is rewritten only if its document is
unchanged since it was read (a token refreshed meanwhile is already sealed
under the current key). Run daily (`reseal_tokens` in main.py); when a run
reports nothing left under a key, that key can leave TOKEN_ENCRYPTION_KEYS.
"""

from collections.abc import Callable
from dataclasses import dataclass

from kernel import crypto, db, log
from kernel.collections import ACCOUNT_TOKENS, MASTODON_APPS, OAUTH_STATES, PENDING_CONNECTIONS


@dataclass(frozen=True)
class Sealed:
    collection: str
    field: str
    context: Callable[[str], str]  # document id -> the context the value is bound to


SEALED: tuple[Sealed, ...] = (
    Sealed(ACCOUNT_TOKENS, "access", lambda doc_id: f"{ACCOUNT_TOKENS}/{doc_id}:access"),
    Sealed(ACCOUNT_TOKENS, "refresh", lambda doc_id: f"{ACCOUNT_TOKENS}/{doc_id}:refresh"),
    Sealed(ACCOUNT_TOKENS, "extra", lambda doc_id: f"{ACCOUNT_TOKENS}/{doc_id}:extra"),
    Sealed(MASTODON_APPS, "clientSecret", lambda doc_id: f"{MASTODON_APPS}/{doc_id}"),
    Sealed(PENDING_CONNECTIONS, "tokens", lambda doc_id: f"{PENDING_CONNECTIONS}/{doc_id}"),
    Sealed(OAUTH_STATES, "verifier", lambda doc_id: f"{OAUTH_STATES}/{doc_id}:verifier"),
)
PAGE = 200


def reseal_all(limit: int = 5000) -> dict:
    """Reseal up to `limit` values under an old key. Returns {"resealed", "skipped",
    "left": {kid: values still under it after this run}}."""
    from google.api_core.exceptions import FailedPrecondition, NotFound

    ring = crypto.keyring()
    client = db.client()
    resealed = skipped = 0
    for kid in sorted(k for k in ring.keys if k != ring.current):
        for spec in SEALED:
            seen: set[str] = set()  # a value that would not open stays in range: read it once
            while resealed < limit:
                page = [s for s in _under(spec, kid).limit(PAGE).stream() if s.id not in seen]
                if not page:
                    break
                for snap in page[: limit - resealed]:
                    seen.add(snap.id)
                    try:
                        fresh = crypto.reseal(snap.get(spec.field), spec.context(snap.id), ring)
                        snap.reference.update({spec.field: fresh},
                                              option=client.write_option(last_update_time=snap.update_time))
                        resealed += 1
                    except (FailedPrecondition, NotFound):
                        skipped += 1  # changed or gone since read: its writer sealed it anew, or nothing to do
                    except crypto.DecryptionError as exc:
                        log.error("key rotation: a sealed value does not open", collection=spec.collection,
                                  field=spec.field, error=type(exc).__name__)
    left = {kid: sum(int(_under(spec, kid).count().get()[0][0].value) for spec in SEALED)
            for kid in ring.keys if kid != ring.current}
    log.info("key rotation", current=ring.current, resealed=resealed, skipped=skipped, left=left)
    return {"resealed": resealed, "skipped": skipped, "left": left}


def _under(spec: Sealed, kid: str):
    """The documents whose field is sealed under `kid`: "v1.<kid>." up to "v1.<kid>/"
    ('/' sorts right after '.')."""
    from google.cloud.firestore import FieldFilter

    return (db.client().collection(spec.collection)
            .where(filter=FieldFilter(spec.field, ">=", f"v1.{kid}."))
            .where(filter=FieldFilter(spec.field, "<", f"v1.{kid}/")))
