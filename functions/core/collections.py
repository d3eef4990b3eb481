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

# Connected social accounts: what the owner sees (no token material, ever).
ACCOUNTS = "accounts"
# Sealed OAuth tokens of each account (same id as the account), server-only.
ACCOUNT_TOKENS = "accountTokens"
# Pending OAuth flows: state (hashed), uid, sealed PKCE verifier, expiry.
OAUTH_STATES = "oauthStates"
# Our app's registration at each Mastodon instance (not personal data).
MASTODON_APPS = "mastodonApps"
USER_DATA[ACCOUNTS] = UserData(kind="owned", export=True, retention="content")
USER_DATA[ACCOUNT_TOKENS] = UserData(kind="owned", export=False, retention="content")
USER_DATA[OAUTH_STATES] = UserData(kind="owned", export=False, retention="content")

# --- billing: payment records, kept for regulations (PAYMENT_RETENTION_YEARS), not purged with content.
# {uid}: the person's one Stripe customer id (created once, reused).
BILLING_CUSTOMERS = "billingCustomers"
# {uid}: the person's current subscription as Stripe last reported it, and the plan it grants.
SUBSCRIPTIONS = "subscriptions"
# {Stripe event id}: every webhook event, recorded once (replays change nothing); invoices' amounts.
BILLING_EVENTS = "billingEvents"
# Scheduled posts (the posts feature owns them); billing pauses those over a plan's limit.
POSTS = "posts"
USER_DATA[BILLING_CUSTOMERS] = UserData(kind="owned", export=True, retention="payment", private_fields=("claimedAt",))
USER_DATA[SUBSCRIPTIONS] = UserData(kind="owned", export=True, retention="payment", private_fields=("syncTicket", "appliedTicket"))
USER_DATA[BILLING_EVENTS] = UserData(kind="owned", export=True, retention="payment")

# Posts (the posts feature owns them). Shape others rely on: {uid, status,
# targetAccountIds: [account ids], targets: {<accountId>: {status, error, ...}}}.
POSTS = "posts"

# --- ai (policy 2.4, 8.1): every provider call metered, and the person's AI history.
# One document per provider call: model, provider, feature, tokens, estimated cost.
AI_USAGE = "aiUsage"
# {uid}_{YYYY-MM} (UTC): the month's token total checked against the plan, and live reservations.
AI_USAGE_MONTHLY = "aiUsageMonthly"
# One document per AI result: the prompt (brief, text, instruction) and what came back.
AI_HISTORY = "aiHistory"
USER_DATA[AI_USAGE] = UserData(kind="owned", export=True, retention="content")
USER_DATA[AI_USAGE_MONTHLY] = UserData(kind="owned", export=True, retention="content", private_fields=("reservations",))
USER_DATA[AI_HISTORY] = UserData(kind="owned", export=True, retention="content")

# A connection waiting for the person's choice (a Facebook Page): sealed tokens, 15 minutes.
PENDING_CONNECTIONS = "pendingConnections"
USER_DATA[PENDING_CONNECTIONS] = UserData(kind="owned", export=False, retention="content")
