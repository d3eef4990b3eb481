"""Operators: people with the `admin` custom claim, which only the server sets
(custom claims are writable through the Admin SDK alone; a client cannot change
its own). Operator-only callables check the claim in the verified ID token.

Grant or revoke from a machine with admin credentials for the project:

    cd functions && venv/bin/python -m privacy.operators grant person@example.com
    cd functions && venv/bin/python -m privacy.operators revoke person@example.com

The person signs in again (or refreshes their ID token) for the change to reach
their token.
"""

import sys

from kernel import log
from kernel.errors import PermissionDenied

CLAIM = "admin"


def is_operator(claims: dict) -> bool:
    return claims.get(CLAIM) is True


def require(caller) -> None:
    if not is_operator(caller.claims):
        log.security_event("operator_call_refused", caller.uid)
        raise PermissionDenied("Only postr operators can do this.")


def set_operator(uid: str, on: bool) -> None:
    """Merge the claim into the user's others (claims replace each other whole)."""
    from firebase_admin import auth

    claims = dict(auth.get_user(uid).custom_claims or {})
    if on:
        claims[CLAIM] = True
    else:
        claims.pop(CLAIM, None)
    auth.set_custom_user_claims(uid, claims)
    log.security_event("operator_granted" if on else "operator_revoked", uid)


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("grant", "revoke"):
        print("usage: python -m privacy.operators grant|revoke <email or uid>", file=sys.stderr)
        return 2
    import firebase_admin
    from firebase_admin import auth

    if not firebase_admin._apps:
        firebase_admin.initialize_app()
    who = argv[1]
    user = auth.get_user_by_email(who) if "@" in who else auth.get_user(who)
    set_operator(user.uid, argv[0] == "grant")
    print(f"{'granted' if argv[0] == 'grant' else 'revoked'} operator: {user.uid} ({user.email})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
