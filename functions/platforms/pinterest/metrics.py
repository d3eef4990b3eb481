"""A Pin's numbers from `GET /v5/pins/{id}/analytics`, answered as {"all":
{"lifetime_metrics", "summary_metrics", "daily_metrics"}}."""

import datetime as _dt

from kernel import clock
from platforms import http
from platforms.base import Metrics, Tokens
from platforms.pinterest.api import NAME, api, bearer, error

# Pinterest's analytics reach back 90 days from today at most.
ANALYTICS_DAYS = 89
ANALYTICS_METRICS = ("IMPRESSION", "SAVE", "TOTAL_REACTIONS", "TOTAL_COMMENTS")


def pin_metrics(tokens: Tokens, pin_id: str) -> Metrics:
    """Likes are reactions, reposts are saves (a save re-pins the Pin to
    another board), replies are comments, views are impressions. Each comes
    from the lifetime totals where Pinterest gives them, else from the last
    90 days (Pinterest reaches no further back)."""
    today = clock.now().astimezone(_dt.timezone.utc).date()
    params = {"start_date": (today - _dt.timedelta(days=ANALYTICS_DAYS)).isoformat(),
              "end_date": today.isoformat(), "metric_types": ",".join(ANALYTICS_METRICS)}
    response = http.send(NAME, "GET", api(f"/v5/pins/{pin_id}/analytics"), idempotent=True, params=params,
                         headers=bearer(tokens))
    if response.status_code != 200:
        raise error(response, "reading the Pin's statistics")
    totals = http.json_object(response).get("all")
    totals = totals if isinstance(totals, dict) else {}
    lifetime = totals.get("lifetime_metrics") if isinstance(totals.get("lifetime_metrics"), dict) else {}
    summary = totals.get("summary_metrics") if isinstance(totals.get("summary_metrics"), dict) else {}

    def count(metric: str) -> int | None:
        for value in (lifetime.get(metric), summary.get(metric)):
            if isinstance(value, int | float) and not isinstance(value, bool):
                return int(value)
        return None

    return Metrics(likes=count("TOTAL_REACTIONS"), reposts=count("SAVE"), replies=count("TOTAL_COMMENTS"),
                   views=count("IMPRESSION"))
