"""A post's numbers from `memberCreatorPostAnalytics` (IMPRESSION, REACTION,
COMMENT, RESHARE), which needs `r_member_postAnalytics`: part of the Community
Management API that LinkedIn approves case by case, so without that scope
every metric is None. (`socialActions` counts need `r_member_social`, a
private permission.)"""

from platforms import http
from platforms.base import Metrics, Tokens
from platforms.linkedin.api import NAME, api, encode, error, rest_headers

ANALYTICS_SCOPE = "r_member_postAnalytics"


def post_metrics(tokens: Tokens, post_id: str) -> Metrics:
    if ANALYTICS_SCOPE not in tokens.scopes:
        return Metrics()
    counts = {metric: _metric(tokens, post_id, metric) for metric in ("REACTION", "RESHARE", "COMMENT", "IMPRESSION")}
    return Metrics(likes=counts["REACTION"], reposts=counts["RESHARE"], replies=counts["COMMENT"],
                   views=counts["IMPRESSION"])


def _metric(tokens: Tokens, post_id: str, metric: str) -> int | None:
    kind = "ugc" if post_id.startswith("urn:li:ugcPost:") else "share"
    # Rest.li 2.0 structure: the union's parentheses and colon stay literal, the URN is encoded.
    url = api(f"/rest/memberCreatorPostAnalytics?q=entity&entity=({kind}:{encode(post_id)})"
              f"&queryType={metric}&aggregation=TOTAL")
    response = http.send(NAME, "GET", url, idempotent=True, headers=rest_headers(tokens))
    if response.status_code != 200:
        raise error(response, "reading the post's statistics")
    elements = http.json_object(response).get("elements") or []
    count = elements[0].get("count") if elements and isinstance(elements[0], dict) else None
    return int(count) if isinstance(count, int | float) else None
