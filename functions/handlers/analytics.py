"""Analytics (policy 2.3, 3): insights callables, and the scheduled collectors.

The callables read only the caller's own data: a post or account that is not
the caller's is NOT_FOUND, worded exactly like one that does not exist.
"""


from pydantic import Field

from analytics import insights as analytics_insights
from analytics import store as analytics_store
from handlers.edge import Caller, callable_handler
from handlers.schema import Id, IsoDate, Strict
from kernel import db, log
from kernel.collections import ACCOUNTS, POSTS
from kernel.errors import NotFound
from telemetry import product as analytics_product


class _Period(Strict):
    start: IsoDate | None = Field(default=None, description="YYYY-MM-DD, in the profile's timezone")
    end: IsoDate | None = Field(default=None, description="YYYY-MM-DD, included")


class PostAnalytics(Strict):
    postId: Id


class AccountAnalytics(_Period):
    accountId: Id
    topPosts: int = Field(default=5, ge=1, le=20)


class AnalyticsOverview(_Period):
    accountIds: list[Id] | None = Field(default=None, min_length=1, max_length=50)
    topPosts: int = Field(default=5, ge=1, le=20)


class BestTimes(_Period):
    accountIds: list[Id] | None = Field(default=None, min_length=1, max_length=50)


def _own(collection: str, doc_id: str, uid: str, what: str) -> dict:
    snap = db.doc(collection, doc_id).get()
    data = snap.to_dict() if snap.exists else None
    if not data or data.get("uid") != uid:
        raise NotFound(f"No {what} with that id among yours.")
    return data


def _viewed(uid: str, view: str, **properties) -> None:
    analytics_product.capture(uid, "analytics_viewed", {"view": view, **properties})


@callable_handler(PostAnalytics)
def get_post_analytics(caller: Caller, payload: PostAnalytics) -> dict:
    _own(POSTS, payload.postId, caller.uid, "post")
    result = analytics_insights.post_view(payload.postId, analytics_store.post_trackers(caller.uid, payload.postId),
                                          analytics_store.post_snapshots(caller.uid, payload.postId))
    _viewed(caller.uid, "post", targets=len(result["targets"]))
    return result


@callable_handler(AccountAnalytics)
def get_account_analytics(caller: Caller, payload: AccountAnalytics) -> dict:
    _, profile = caller.profile()
    account = _own(ACCOUNTS, payload.accountId, caller.uid, "connected account")
    span = analytics_insights.period(payload.start, payload.end, analytics_insights.timezone_of(profile))
    result = analytics_insights.overview(caller.uid, span, {payload.accountId}, payload.topPosts)
    result.update(accountId=payload.accountId, network=account.get("network"), handle=account.get("handle"),
                  followers=analytics_insights.followers(caller.uid, payload.accountId, span))
    _viewed(caller.uid, "account", network=account.get("network"), days=span.days)
    return result


@callable_handler(AnalyticsOverview)
def get_analytics_overview(caller: Caller, payload: AnalyticsOverview) -> dict:
    _, profile = caller.profile()
    accounts = _accounts(caller.uid, payload.accountIds)
    span = analytics_insights.period(payload.start, payload.end, analytics_insights.timezone_of(profile))
    result = analytics_insights.overview(caller.uid, span, accounts, payload.topPosts)
    _viewed(caller.uid, "overview", days=span.days, accounts=len(accounts) if accounts else 0)
    return result


@callable_handler(BestTimes)
def get_best_times(caller: Caller, payload: BestTimes) -> dict:
    _, profile = caller.profile()
    accounts = _accounts(caller.uid, payload.accountIds)
    span = analytics_insights.period(payload.start, payload.end, analytics_insights.timezone_of(profile),
                                     default_days=analytics_insights.DEFAULT_HISTORY_DAYS)
    result = analytics_insights.best_times(caller.uid, span, accounts)
    _viewed(caller.uid, "best_times", days=span.days)
    return result


def _accounts(uid: str, ids: list[str] | None) -> set[str] | None:
    if ids is None:
        return None
    for account_id in ids:
        _own(ACCOUNTS, account_id, uid, "connected account")
    return set(ids)


# --- scheduled ---------------------------------------------------------------------------


def collect_post_metrics(_event=None) -> dict:
    from analytics import collect as analytics_collect

    log.new_request_id()
    return _reported(lambda: analytics_collect.run().as_dict(), "analytics.collect_post_metrics")


def collect_follower_counts(_event=None) -> dict:
    from analytics import collect as analytics_collect

    log.new_request_id()

    def run() -> dict:
        report = analytics_collect.collect_followers().as_dict()
        log.info("analytics: follower counts", **report)
        return report

    return _reported(run, "analytics.collect_follower_counts")


def _reported(job, where: str):
    try:
        return job()
    except Exception as exc:
        from telemetry import sentry as analytics_error_tracking

        analytics_error_tracking.capture(exc, where=where)
        raise
