"""The data model: every top-level collection, declared once.

Collections are flat and each document that belongs to a person carries `uid`
(DESIGN.md). `USER_DATA` says, for each collection that holds a person's data,
how the privacy tooling treats it: export (policy 7.1) and the retention purge
(policy 6) both read this declaration, and a test fails when a collection that
carries `uid` is missing here.
"""

from dataclasses import dataclass

USERS = "users"
NOTIFICATIONS = "notifications"


@dataclass(frozen=True)
class UserData:
    # "profile": the user document itself (id == uid); "owned": documents with a uid field.
    kind: str
    # Exported to the user (secrets never are, whatever this says).
    export: bool
    # "content": purged two years after account deletion; "payment": kept for regulations.
    retention: str
    # Fields never exported (token material, internal bookkeeping).
    private_fields: tuple[str, ...] = ()


USER_DATA: dict[str, UserData] = {}

# One line per collection; features append theirs below.
USER_DATA[USERS] = UserData(kind="profile", export=True, retention="content")
USER_DATA[NOTIFICATIONS] = UserData(kind="owned", export=True, retention="content")
