"""Plans and their limits: the one table every limit check reads.

The billing issue owns this table and the Stripe price ids; until then it holds
the tiers the product sells, so other features can already check against it.
"""

from dataclasses import dataclass

DEFAULT_PLAN = "free"


@dataclass(frozen=True)
class Plan:
    name: str
    connected_accounts: int
    scheduled_posts_per_month: int
    ai_credits_per_month: int
    ai_models: tuple[str, ...]
    video: bool


# Model ids as "<provider>:<model>"; the AI issue owns which are offered.
AI_MODELS = ("openai:gpt-4o-mini", "openai:gpt-4o", "xai:grok-3-mini", "xai:grok-3")

PLANS: dict[str, Plan] = {
    "free": Plan("free", 3, 30, 50, ("openai:gpt-4o-mini",), video=False),
    "pro": Plan("pro", 10, 300, 1000, AI_MODELS, video=True),
    "business": Plan("business", 50, 3000, 10000, AI_MODELS, video=True),
}


def plan(name: str | None) -> Plan:
    return PLANS.get(name or DEFAULT_PLAN, PLANS[DEFAULT_PLAN])
