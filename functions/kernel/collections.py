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
USER_DATA[SUBSCRIPTIONS] = UserData(kind="owned", export=True, retention="payment",
                                    private_fields=("syncTicket", "appliedTicket", "enforcing"))
USER_DATA[BILLING_EVENTS] = UserData(kind="owned", export=True, retention="payment")

# Posts (the posts feature owns them; posts/). Shape others rely on:
# {uid, status, text, scheduledAt (UTC), timezone (IANA, for display), publishedAt,
#  targetAccountIds: [account ids],
#  targets: {<accountId>: {network, status, error, postId, url, publishedAt}}}
# status of a post and of each target: draft, scheduled, publishing, published, failed,
# unconfirmed, cancelled (and "paused" for a post over the plan's limit, billing_limits).
POSTS = "posts"

# --- ai (policy 2.4, 8.1): every provider call metered, and the person's AI history.
# One document per provider call: model, provider, feature, tokens, estimated cost.
AI_USAGE = "aiUsage"
# {uid}_{YYYY-MM} (UTC): the month's token total checked against the plan, and the holds of calls in progress.
AI_USAGE_MONTHLY = "aiUsageMonthly"
# One document per AI result: the prompt (brief, text, instruction) and what came back.
AI_HISTORY = "aiHistory"
USER_DATA[AI_USAGE] = UserData(kind="owned", export=True, retention="content")
USER_DATA[AI_USAGE_MONTHLY] = UserData(kind="owned", export=True, retention="content", private_fields=("held",))
USER_DATA[AI_HISTORY] = UserData(kind="owned", export=True, retention="content")

# --- privacy (policy 6, 7, 11; issue 8) -------------------------------------------------
# retention="legal": records kept to show a person's rights were honoured (no content, no
# PII beyond the uid); neither "content" (purged) nor "payment" (kept for bookkeeping).
USER_DATA[POSTS] = UserData(kind="owned", export=True, retention="content")
# Analytics snapshots of posts and accounts (the analytics feature owns the shape; each carries uid).
METRICS = "metrics"
USER_DATA[METRICS] = UserData(kind="owned", export=True, retention="content")
# Every export, deletion, correction and privacy message, with its 30-day due date (policy 7.5).
PRIVACY_REQUESTS = "privacyRequests"
USER_DATA[PRIVACY_REQUESTS] = UserData(kind="owned", export=True, retention="legal")
# One document per data export: status, the archive's place in Storage, counts.
EXPORTS = "exports"
USER_DATA[EXPORTS] = UserData(kind="owned", export=True, retention="content", private_fields=("leaseUntil",))
# Support and feedback messages sent to the operator (policy 2.1).
SUPPORT_MESSAGES = "supportMessages"
USER_DATA[SUPPORT_MESSAGES] = UserData(kind="owned", export=True, retention="content")
# {uid}_{version}: when the person accepted a privacy policy version (policy 11).
POLICY_ACCEPTANCES = "policyAcceptances"
USER_DATA[POLICY_ACCEPTANCES] = UserData(kind="owned", export=True, retention="content")
# Published privacy policy versions and the progress of their announcement (no one's data).
POLICY_VERSIONS = "policyVersions"

# users/{uid}/purgeLists/{n}: written by account deletion under the profile marker, each
# {deletedAt, paths: [up to PURGE_LIST_SIZE document paths]}: the retention purge deletes
# what they list without a query per collection. The purge's own index of what it will
# erase, removed in the commit that erases it.
PURGE_LISTS = "purgeLists"

# Collections that hold nobody's personal data, each with the reason. Every collection name
# above is in USER_DATA or here: tests/privacy checks it, so a new one cannot be forgotten.
NOT_USER_DATA: dict[str, str] = {
    MASTODON_APPS: "our app's registration at each Mastodon instance",
    POLICY_VERSIONS: "the policy texts we publish and the progress of announcing them",
    PURGE_LISTS: "under a deleted account's marker only: paths of what the purge will erase, erased with it",
}

# A connection waiting for the person's choice (a Facebook Page): sealed tokens, 15 minutes.
PENDING_CONNECTIONS = "pendingConnections"
USER_DATA[PENDING_CONNECTIONS] = UserData(kind="owned", export=False, retention="content")

# --- analytics (policy 2.3, 3; issue 9) ----------------------------------------------
# One document per published target ({postId}__{accountId}): its place in the decaying
# collection schedule and its latest numbers. Snapshots themselves go to METRICS (above).
METRIC_TARGETS = "metricTargets"
USER_DATA[METRIC_TARGETS] = UserData(kind="owned", export=True, retention="content",
                                     private_fields=("failures", "nextDueAt", "state"))
# The collector's own bookkeeping (how far back it has looked for new posts); nobody's data.
ANALYTICS_STATE = "analyticsState"
NOT_USER_DATA[ANALYTICS_STATE] = "the analytics collector's progress through newly published posts"
