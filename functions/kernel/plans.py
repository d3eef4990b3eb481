"""Plans and their limits: the one table every limit check reads.

A paid plan is sold through one recurring Stripe Price, whose id is a param
(`price`), so the same code runs against test and live Stripe accounts. A
subscription's plan is found from its price (`plan_for_price`), never from
what the browser asked for.
"""

from dataclasses import dataclass, field

from firebase_functions.params import StringParam

from kernel import settings

DEFAULT_PLAN = "free"


@dataclass(frozen=True)
class Plan:
    name: str
    connected_accounts: int
    scheduled_posts_per_month: int
    ai_tokens_per_month: int  # prompt + completion tokens, all models
    ai_models: tuple[str, ...]
    video: bool
    title: str = ""
    # Higher is more: when a customer somehow holds two live subscriptions, the higher one counts.
    rank: int = 0
    price: StringParam | None = field(default=None, compare=False)

    @property
    def paid(self) -> bool:
        return self.price is not None

    def limits(self) -> dict:
        """What a person sees of the plan's limits."""
        return {
            "connectedAccounts": self.connected_accounts,
            "scheduledPostsPerMonth": self.scheduled_posts_per_month,
            "aiTokensPerMonth": self.ai_tokens_per_month,
            "aiModels": list(self.ai_models),
            "video": self.video,
        }


# The AI models of the paid plans, by id (ai.models is the catalogue; a test keeps the two in step).
ALL_AI_MODELS = ("openai:gpt-4o-mini", "openai:gpt-4o", "xai:grok-4.3")

PLANS: dict[str, Plan] = {
    "free": Plan("free", 3, 30, 50_000, ("openai:gpt-4o-mini",), video=False, title="Free", rank=0),
    "pro": Plan("pro", 10, 300, 1_000_000, ALL_AI_MODELS, video=True, title="Pro", rank=1,
                price=settings.STRIPE_PRICE_PRO),
    "business": Plan("business", 50, 3000, 10_000_000, ALL_AI_MODELS, video=True, title="Business", rank=2,
                     price=settings.STRIPE_PRICE_BUSINESS),
}

PAID_PLANS: tuple[str, ...] = tuple(name for name, p in PLANS.items() if p.paid)


def plan(name: str | None) -> Plan:
    return PLANS.get(name or DEFAULT_PLAN, PLANS[DEFAULT_PLAN])


def price_id(name: str) -> str | None:
    """The Stripe Price id a paid plan is sold at; None when unset (the plan cannot be bought)."""
    p = PLANS.get(name)
    return (p.price.value or None) if p and p.price else None


def plan_for_price(price: str | None) -> str | None:
    if not price:
        return None
    for name in PAID_PLANS:
        if price_id(name) == price:
            return name
    return None
