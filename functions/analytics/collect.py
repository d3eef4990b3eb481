"""The analytics collector: finds newly published targets, reads the numbers of
those due on the decaying schedule (analytics.schedule), and reads each
connected account's follower count once a UTC day.

Rate limits: every reading goes through accounts.calls.call_as (one
token refresh at most; accounts that need a reconnect are skipped without a
call). A run spends at most ANALYTICS_CALLS_PER_NETWORK calls per network and
ANALYTICS_CALLS_PER_ACCOUNT per account, oldest due first; the rest stays due
for the next run, and a network that answers 429 gets no more calls this run.
Batching: an account's due targets are read in requests of the network's
`Platform.metrics_batch` posts (`metrics_many`: X 100, YouTube 50, else 1),
and each request counts as one call against both budgets, so a network with
a multi-id read spends one call where it would have spent up to a hundred.
A post gone at the network comes back as its own Permanent error and ends
that target alone.
"""

import dataclasses
import datetime as _dt
from collections import Counter, defaultdict

from accounts import store as account_store
from analytics import schedule as analytics_schedule
from analytics import store as analytics_store
from kernel import clock, db, log, settings, users
from kernel.collections import ACCOUNTS, ANALYTICS_STATE, METRIC_TARGETS, METRICS, POSTS

# A post whose target was published this long before the post's own publishedAt
# (a retried target) is still found: discovery looks back this far past its mark.
DISCOVERY_OVERLAP = _dt.timedelta(days=2)
# Transient failures in a row before a checkpoint is given up (the next one still comes).
MAX_FAILURES = 5
# Due trackers taken per run; what is left is taken by the next run.
MAX_DUE_PER_RUN = 2000
_STATE_DOC = "collector"


@dataclasses.dataclass
class Report:
    discovered: int = 0
    collected: int = 0
    finished: int = 0
    ended: int = 0
    skipped_reconnect: int = 0
    deferred: int = 0
    rate_limited: int = 0
    failed: int = 0
    followers: int = 0

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


# --- discovery ---------------------------------------------------------------------------


def discover(now: _dt.datetime | None = None) -> int:
    """Make a tracker for every published target not tracked yet. Looks at posts
    published since the last run's mark (less DISCOVERY_OVERLAP), never further
    back than the schedule's last checkpoint."""
    from google.cloud.firestore import FieldFilter

    now = now or clock.now()
    state_ref = db.doc(ANALYTICS_STATE, _STATE_DOC)
    state = state_ref.get()
    horizon = now - analytics_schedule.LAST_AGE
    since = horizon
    if state.exists and state.get("discoveredThrough"):
        since = max(horizon, state.get("discoveredThrough") - DISCOVERY_OVERLAP)
    query = db.client().collection(POSTS).where(filter=FieldFilter("publishedAt", ">=", since))
    found: dict[str, dict] = {}
    for snap in query.stream():
        post = snap.to_dict() or {}
        for account_id, target in (post.get("targets") or {}).items():
            if _collectable(target) and target["publishedAt"] <= now:
                found[analytics_store.target_id(snap.id, account_id)] = (post.get("uid"), snap.id, account_id, target)
    created = 0
    client = db.client()
    ids = list(found)
    for start in range(0, len(ids), 300):
        chunk = ids[start:start + 300]
        existing = {s.id for s in client.get_all([client.collection(METRIC_TARGETS).document(i) for i in chunk])
                    if s.exists}
        batch = client.batch()
        writes = 0
        for doc_id in chunk:
            if doc_id in existing:
                continue
            uid, post_id, account_id, target = found[doc_id]
            published = target["publishedAt"]
            if published + analytics_schedule.LAST_AGE <= now:
                continue  # older than the whole schedule: nothing left to read
            step, due = analytics_schedule.first_due(published)
            batch.set(client.collection(METRIC_TARGETS).document(doc_id),
                      analytics_store.new_tracker(uid, post_id, account_id, target, step, due))
            writes += 1
        if writes:
            batch.commit()
            created += writes
    state_ref.set({"discoveredThrough": now, "updatedAt": now})
    return created


def _collectable(target) -> bool:
    return (isinstance(target, dict) and target.get("status") == "published" and bool(target.get("postId"))
            and isinstance(target.get("publishedAt"), _dt.datetime))


# --- post numbers --------------------------------------------------------------------------


def collect_due(now: _dt.datetime | None = None, report: Report | None = None) -> Report:
    """Read the numbers of every due target, within the run's budgets."""
    import platforms

    now = now or clock.now()
    report = report or Report()
    due = analytics_store.due_targets(now, MAX_DUE_PER_RUN)
    by_account: dict[str, list] = defaultdict(list)
    for snap in due:
        by_account[snap.get("accountId")].append(snap)
    accounts = _accounts(list(by_account))
    # A disabled or deleted account's posts are not read (its accounts go at deletion; this is the guard).
    owners = users.active_uids(a.get("uid") for a in accounts.values() if a is not None)
    per_network, per_account = settings.ANALYTICS_CALLS_PER_NETWORK.value, settings.ANALYTICS_CALLS_PER_ACCOUNT.value
    spent: Counter = Counter()
    limited: set[str] = set()
    for account_id, trackers in by_account.items():
        account = accounts.get(account_id)
        if account is None or account.get("uid") not in owners:
            for tracker in trackers:
                _end(tracker, now, "account_removed" if account is None else "owner_inactive")
                report.ended += 1
            continue
        if account.get("status") != account_store.ACTIVE:
            report.skipped_reconnect += len(trackers)
            continue
        network = account.get("network")
        try:
            size = max(1, int(platforms.get(network).metrics_batch))
        except KeyError:
            size = 1  # a network postr no longer knows: call_as says so, one target at a time
        calls = 0
        for start in range(0, len(trackers), size):
            chunk = trackers[start:start + size]
            if network in limited or spent[network] >= per_network or calls >= per_account:
                report.deferred += len(chunk)
                continue
            # One request, however many posts it carries, is one call against the budgets.
            spent[network] += 1
            calls += 1
            if not _read_chunk(account_id, account, network, chunk, now, report, limited):
                break  # the account needs its owner; its other targets wait too
    return report


def _read_chunk(account_id: str, account, network: str, chunk: list, now: _dt.datetime, report: Report,
                limited: set[str]) -> bool:
    """Read the targets of one request and store what came back. False when
    the account needs reconnecting."""
    from accounts import calls as account_calls
    from platforms.base import Metrics
    from platforms.errors import Permanent, RateLimited, Transient

    post_ids = [tracker.get("networkPostId") for tracker in chunk]
    try:
        readings = account_calls.call_as(account_id, lambda platform, tokens: platform.metrics_many(tokens, post_ids),
                                         snap=account)
    except account_calls.ReconnectNeeded:
        report.skipped_reconnect += len(chunk)
        return False
    except RateLimited as err:
        limited.add(network)
        report.rate_limited += 1
        log.warn("analytics: network limiting requests", network=network, retryAfter=err.retry_after)
        return True
    except Transient as err:
        for tracker in chunk:
            report.failed += 1
            _failed(tracker, now, err)
        return True
    except Permanent as err:
        # The whole request refused (a missing permission, say): each post would be refused alike.
        readings = {post_id: err for post_id in post_ids}
    except Exception as exc:  # a bug in one reading must not stop the run
        from telemetry import sentry as analytics_error_tracking

        analytics_error_tracking.capture(exc, where="analytics.collect_due")
        log.error("analytics: reading failed", network=network, error=type(exc).__name__)
        report.failed += len(chunk)
        return True
    for tracker in chunk:
        reading = readings.get(tracker.get("networkPostId"))
        if isinstance(reading, Metrics):
            finished = _store_reading(tracker, analytics_store.normalised(reading), now)
            report.collected += 1
            report.finished += int(finished)
        elif isinstance(reading, Permanent):
            # Deleted at the network, or a kind of post it gives no numbers for: reading again would not help.
            _end(tracker, now, "unavailable", reason=reading.message)
            report.ended += 1
        else:  # the module answered without this post: try again next run
            log.error("analytics: reading missing from the answer", network=network)
            report.failed += 1
            _failed(tracker, now, Transient(network, "The network's answer left this post out."))
    return True


def _accounts(account_ids: list[str]) -> dict:
    client = db.client()
    out = {}
    for start in range(0, len(account_ids), 300):
        refs = [client.collection(ACCOUNTS).document(i) for i in account_ids[start:start + 300] if i]
        for snap in client.get_all(refs):
            if snap.exists:
                out[snap.id] = snap
    return out


def _store_reading(tracker, values: dict, now: _dt.datetime) -> bool:
    """Write the snapshot and move the tracker on, in one commit. True when the
    target's collection is finished."""
    data = tracker.to_dict()
    published = data["publishedAt"]
    step = max(analytics_schedule.reached(published, now), 0)
    checkpoint = analytics_schedule.label(step)
    snapshot = {
        "uid": data["uid"], "kind": "post", "postId": data["postId"], "accountId": data["accountId"],
        "network": data.get("network"), "checkpoint": checkpoint, "publishedAt": published,
        "collectedAt": now, **values,
    }
    following = analytics_schedule.after_reading(published, now)
    update = {"latest": {**values, "collectedAt": now, "checkpoint": checkpoint}, "lastCollectedAt": now,
              "failures": 0}
    if following is None:
        update.update(state=analytics_store.DONE, nextDueAt=None, endedAt=now, endedReason="finished")
    else:
        update.update(step=following[0], nextDueAt=following[1])
    client = db.client()
    batch = client.batch()
    batch.set(client.collection(METRICS).document(
        analytics_store.post_snapshot_id(data["postId"], data["accountId"], checkpoint)), snapshot)
    batch.update(tracker.reference, update)
    batch.commit()
    return following is None


def _failed(tracker, now: _dt.datetime, err) -> None:
    failures = int(tracker.get("failures") or 0) + 1
    if failures < MAX_FAILURES:
        tracker.reference.update({"failures": failures})
        return
    # Give this checkpoint up; the next one (if any) still comes.
    following = analytics_schedule.after_reading(tracker.get("publishedAt"), now)
    if following is None:
        _end(tracker, now, "unavailable", reason=err.message)
    else:
        tracker.reference.update({"failures": 0, "step": following[0], "nextDueAt": following[1]})


def _end(tracker, now: _dt.datetime, why: str, reason: str | None = None) -> None:
    tracker.reference.update({"state": analytics_store.DONE, "nextDueAt": None, "endedAt": now,
                              "endedReason": why, "endedDetail": reason})


# --- follower counts -------------------------------------------------------------------------


def collect_followers(now: _dt.datetime | None = None, report: Report | None = None, accounts: list | None = None
                      ) -> Report:
    """One follower count per active account per UTC day. Runs several times a
    day: an account already counted today is not asked again, so a run cut
    short by a limit or an outage is finished by the next. `accounts`: these
    account snapshots instead of every active account."""
    from google.cloud.firestore import FieldFilter

    from accounts import calls as account_calls
    from platforms.errors import PlatformError, RateLimited

    now = now or clock.now()
    report = report or Report()
    day = now.astimezone(_dt.timezone.utc).date()
    client = db.client()
    if accounts is None:
        accounts = list(client.collection(ACCOUNTS).where(
            filter=FieldFilter("status", "==", account_store.ACTIVE)).stream())
    accounts = [a for a in accounts if a.exists and a.get("status") == account_store.ACTIVE]
    owners = users.active_uids(a.get("uid") for a in accounts)
    accounts = [a for a in accounts if a.get("uid") in owners]
    counted = set()
    for start in range(0, len(accounts), 300):
        refs = [client.collection(METRICS).document(analytics_store.account_snapshot_id(a.id, day))
                for a in accounts[start:start + 300]]
        counted.update(s.id for s in client.get_all(refs) if s.exists)
    per_network = settings.ANALYTICS_CALLS_PER_NETWORK.value
    spent: Counter = Counter()
    limited: set[str] = set()
    for account in accounts:
        doc_id = analytics_store.account_snapshot_id(account.id, day)
        network = account.get("network")
        if doc_id in counted:
            continue
        if network in limited or spent[network] >= per_network:
            report.deferred += 1
            continue
        spent[network] += 1
        try:
            profile = account_calls.call_as(account.id, lambda platform, tokens: platform.profile(tokens), snap=account)
        except account_calls.ReconnectNeeded:
            report.skipped_reconnect += 1
            continue
        except RateLimited:
            limited.add(network)
            report.rate_limited += 1
            continue
        except PlatformError:
            report.failed += 1
            continue
        except Exception as exc:
            from telemetry import sentry as analytics_error_tracking

            analytics_error_tracking.capture(exc, where="analytics.collect_followers")
            report.failed += 1
            continue
        followers = profile.followers_count
        client.collection(METRICS).document(doc_id).set({
            "uid": account.get("uid"), "kind": "account", "accountId": account.id, "network": network,
            "day": day.isoformat(), "collectedAt": now,
            "followers": followers if isinstance(followers, int) and not isinstance(followers, bool) else None,
        })
        report.followers += 1
    return report


def run(now: _dt.datetime | None = None) -> Report:
    """The hourly job: find new targets, then read those due."""
    now = now or clock.now()
    report = Report(discovered=discover(now))
    collect_due(now, report)
    log.info("analytics: collected", **report.as_dict())
    return report
