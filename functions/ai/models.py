"""The AI models postr offers, as "<provider>:<model>" ids, and what each costs.

The AI feature owns this catalogue; plans (kernel.plans) list which ids each plan
gets. The prices below are the one price table every cost estimate reads.

Prices: USD per 1M tokens (prompt, completion), as published by the providers,
checked 2026-11-30:
- OpenAI (developers.openai.com/api/docs/pricing, as read on 2026-11-05):
  gpt-4o-mini $0.15 / $0.60, gpt-4o $2.50 / $10.00. Both are now listed as
  older models but stay billable at these prices.
- xAI (docs.x.ai/developers/migration/may-15-retirement, updated 2026-05-06):
  grok-4.3 $1.25 / $2.50. grok-3 was retired on 2026-05-15 (its slug now
  answers as grok-4.3 at grok-4.3's price), so the catalogue no longer offers it.
Cached-prompt discounts are ignored: the estimate is on the safe side.
"""

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Model:
    id: str  # "<provider>:<model>"
    label: str  # shown to people
    prompt_usd_per_m: Decimal
    completion_usd_per_m: Decimal
    # Reasoning models think before they answer and bill those tokens as output;
    # xAI counts them outside max_completion_tokens, so requests and token
    # reservations add this allowance on top of the answer's budget.
    reasoning_allowance: int = 0
    # Extra request parameters the model wants, as (name, value) pairs.
    options: tuple[tuple[str, object], ...] = ()

    @property
    def provider(self) -> str:
        return self.id.split(":", 1)[0]

    @property
    def name(self) -> str:
        """The model name the provider's API takes."""
        return self.id.split(":", 1)[1]

    def cost_nano_usd(self, prompt_tokens: int, completion_tokens: int) -> int:
        """Estimated cost in nano-dollars (1e-9 USD), an integer so sums are exact:
        USD per 1M tokens x 1000 = nano-USD per token."""
        return int(prompt_tokens * self.prompt_usd_per_m * 1000 + completion_tokens * self.completion_usd_per_m * 1000)


MODELS: tuple[Model, ...] = (
    Model("openai:gpt-4o-mini", "GPT-4o mini", Decimal("0.15"), Decimal("0.60")),
    Model("openai:gpt-4o", "GPT-4o", Decimal("2.50"), Decimal("10.00")),
    # Always reasons; "low" effort keeps the thinking (billed as output) short for posts.
    Model("xai:grok-4.3", "Grok 4.3", Decimal("1.25"), Decimal("2.50"), reasoning_allowance=2048,
          options=(("reasoning_effort", "low"),)),
)

BY_ID: dict[str, Model] = {m.id: m for m in MODELS}
MODEL_IDS: tuple[str, ...] = tuple(BY_ID)


def get(model_id: str) -> Model:
    return BY_ID[model_id]


def allowed(plan) -> list[Model]:
    """The catalogue models a plan (kernel.plans.Plan) includes, in the plan's order."""
    return [BY_ID[i] for i in plan.ai_models if i in BY_ID]


def choose(plan, requested: str | None, preferred: str | None) -> Model:
    """The model for one request: the one asked for, else the user's preference,
    else the plan's first. A model outside the plan is refused (PERMISSION_DENIED:
    the plan does not grant it), never silently swapped for another."""
    from kernel.errors import FailedPrecondition, PermissionDenied

    included = allowed(plan)
    if not included:
        raise FailedPrecondition(f"The {plan.name} plan includes no AI model.")
    if requested is None and preferred not in BY_ID:
        # No preference, or one for a model the catalogue no longer offers: the plan's default.
        return included[0]
    model = BY_ID[requested if requested is not None else preferred]  # the schema refused unknown ids
    if model in included:
        return model
    names = ", ".join(m.id for m in included)
    if requested is not None:
        message = (f"Your {plan.name} plan does not include {model.label} ({model.id}). "
                   f"Choose one of: {names}, or upgrade your plan.")
    else:
        message = (f"Your preferred AI model, {model.label} ({model.id}), is not in your {plan.name} plan. "
                   f"Choose one of: {names} in your settings, or upgrade your plan.")
    raise PermissionDenied(message, {"reason": "model_not_in_plan", "model": model.id,
                                     "allowed": [m.id for m in included]})
