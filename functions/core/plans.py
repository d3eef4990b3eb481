"""Plans and their limits: the one table every limit check reads.

The billing issue owns this table and the Stripe price ids; until then it holds
the tiers the product sells, so other features can already check against it.
"""

from dataclasses import dataclass

from core.ai_models import MODEL_IDS

DEFAULT_PLAN = "free"


@dataclass(frozen=True)
class Plan:
    name: str
    connected_accounts: int
    scheduled_posts_per_month: int
    ai_tokens_per_month: int  # prompt + completion tokens, all models
    ai_models: tuple[str, ...]
    video: bool



PLANS: dict[str, Plan] = {
    "free": Plan("free", 3, 30, 50_000, ("openai:gpt-4o-mini",), video=False),
    "pro": Plan("pro", 10, 300, 1_000_000, MODEL_IDS, video=True),
    "business": Plan("business", 50, 3000, 10_000_000, MODEL_IDS, video=True),
}


def plan(name: str | None) -> Plan:
    return PLANS.get(name or DEFAULT_PLAN, PLANS[DEFAULT_PLAN])
