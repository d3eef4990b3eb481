"""Metering of AI calls against the plan's monthly token allowance (policy 8.1).

Every provider call goes through three steps:

1. `reserve`: a transaction on the person's counter for the month (UTC) that
   adds a reservation of the most tokens the call can use, and refuses
   (RESOURCE_EXHAUSTED, with when the allowance resets) when the month's tokens
   plus every live reservation plus this one would pass the plan's limit.
2. the call itself.
3. `settle`: a second transaction that drops the reservation, adds the real
   tokens and cost to the counter and writes the per-call ledger entry, both in
   one commit; or `release` when the call failed, which costs nothing.

Because a reservation is the call's upper bound (prompt bytes, which no
byte-level tokenizer exceeds, plus the completion and reasoning budgets), calls
racing at the limit cannot together pass it; should a provider ever count more
than the bound, the excess is at most that one call's. A reservation whose
call never settled (the instance died) expires after RESERVATION_TTL.
Transactions read before they write, so they serialize on the counter.
"""

import datetime as _dt
import uuid
from dataclasses import dataclass

from core import clock, db, log
from core.ai_models import Model
from core.ai_providers import Usage
from core.collections import AI_USAGE, AI_USAGE_MONTHLY
from core.errors import ResourceExhausted

# Longer than any call can take (two provider calls, each within its retry budget).
RESERVATION_TTL = _dt.timedelta(minutes=10)
TX_ATTEMPTS = 20  # contention on one person's counter is rare; give it room


def month_of(at: _dt.datetime) -> str:
    at = at.astimezone(_dt.timezone.utc)
    return f"{at.year:04d}-{at.month:02d}"


def resets_at(at: _dt.datetime) -> _dt.datetime:
    """The first instant of the next month, UTC: when the allowance starts afresh."""
    at = at.astimezone(_dt.timezone.utc)
    year, month = (at.year + 1, 1) if at.month == 12 else (at.year, at.month + 1)
    return _dt.datetime(year, month, 1, tzinfo=_dt.timezone.utc)


def _iso(at: _dt.datetime) -> str:
    return at.astimezone(_dt.timezone.utc).isoformat().replace("+00:00", "Z")


def counter_ref(uid: str, month: str):
    return db.doc(AI_USAGE_MONTHLY, f"{uid}_{month}")


@dataclass(frozen=True)
class Reservation:
    uid: str
    month: str
    id: str
    tokens: int
    limit: int
    plan: str


@dataclass(frozen=True)
class Receipt:
    ledger_id: str
    usage: Usage
    cost_nano_usd: int
    used: int  # the month's tokens after this call
    limit: int
    resets_at: _dt.datetime

    def allowance(self) -> dict:
        return {"used": self.used, "limit": self.limit, "resetsAt": _iso(self.resets_at)}


def _fresh(uid: str, month: str, now: _dt.datetime) -> dict:
    return {"uid": uid, "month": month, "tokens": 0, "promptTokens": 0, "completionTokens": 0,
            "costNanoUsd": 0, "costUsd": 0.0, "calls": 0, "reservations": {}, "createdAt": now}


def _live(reservations: dict, now: _dt.datetime) -> dict:
    return {rid: r for rid, r in (reservations or {}).items() if r.get("at") and r["at"] > now - RESERVATION_TTL}


def _run(fn):
    from google.cloud import firestore

    return firestore.transactional(fn)(db.client().transaction(max_attempts=TX_ATTEMPTS))


def reserve(uid: str, plan, tokens: int) -> Reservation:
    """Reserve `tokens` of this month's allowance of `plan` (core.plans.Plan) for one call."""
    now = clock.now()
    month, rid = month_of(now), uuid.uuid4().hex
    ref = counter_ref(uid, month)
    limit = plan.ai_tokens_per_month

    def apply(tx):
        snap = ref.get(transaction=tx)
        data = snap.to_dict() if snap.exists else _fresh(uid, month, now)
        live = _live(data.get("reservations"), now)
        held = sum(r["tokens"] for r in live.values())
        used = data.get("tokens", 0)
        if used + held + tokens > limit:
            reset = resets_at(now)
            raise ResourceExhausted(
                f"Not enough AI allowance left this month: {used:,} of your {plan.name} plan's {limit:,} tokens "
                f"are used{f' and {held:,} are held by requests in progress' if held else ''}, and this request "
                f"may need up to {tokens:,}. Your allowance resets on {_iso(reset)}; upgrade for more.",
                {"used": used, "held": held, "needed": tokens, "limit": limit, "plan": plan.name,
                 "resetsAt": _iso(reset)},
            )
        live[rid] = {"tokens": tokens, "at": now}
        tx.set(ref, {**data, "reservations": live, "updatedAt": now})

    _run(apply)
    return Reservation(uid, month, rid, tokens, limit, plan.name)


def release(res: Reservation) -> None:
    """Give a reservation back: the call failed and costs nothing."""
    ref = counter_ref(res.uid, res.month)

    def apply(tx):
        snap = ref.get(transaction=tx)
        if not snap.exists:
            return
        data = snap.to_dict()
        now = clock.now()
        live = _live(data.get("reservations"), now)
        live.pop(res.id, None)
        tx.set(ref, {**data, "reservations": live, "updatedAt": now})

    try:
        _run(apply)
    except Exception as exc:  # the reservation then expires on its own (RESERVATION_TTL)
        log.error("ai reservation release failed", uid=res.uid, error=type(exc).__name__)


def charged(res: Reservation, usage: Usage | None, model: Model) -> Usage:
    """What a successful call is charged: its real usage, or, when the provider
    reported none, the reservation (the most the call could have used)."""
    if usage is None:
        log.warn("ai usage missing; charged the reservation", provider=model.provider, model=model.id)
        return Usage(0, res.tokens)
    return usage


def settle(res: Reservation, *, model: Model, feature: str, purpose: str, usage: Usage,
           provider_model: str, extra: tuple = ()) -> Receipt:
    """Charge a call that succeeded (`usage` from `charged`): the reservation becomes
    the real usage, and the ledger gets its entry, in one commit. `extra` is
    (ref, document) pairs created in the same commit (the AI history entry)."""
    ref = counter_ref(res.uid, res.month)
    cost = model.cost_nano_usd(usage.prompt_tokens, usage.completion_tokens)
    ledger = db.client().collection(AI_USAGE).document()
    result: dict = {}

    def apply(tx):
        now = clock.now()
        snap = ref.get(transaction=tx)
        data = snap.to_dict() if snap.exists else _fresh(res.uid, res.month, now)
        live = _live(data.get("reservations"), now)
        live.pop(res.id, None)
        nano = data.get("costNanoUsd", 0) + cost
        data.update({
            "tokens": data.get("tokens", 0) + usage.total_tokens,
            "promptTokens": data.get("promptTokens", 0) + usage.prompt_tokens,
            "completionTokens": data.get("completionTokens", 0) + usage.completion_tokens,
            "costNanoUsd": nano,
            "costUsd": nano / 1e9,
            "calls": data.get("calls", 0) + 1,
            "reservations": live,
            "updatedAt": now,
        })
        tx.set(ref, data)
        tx.create(ledger, {
            "uid": res.uid,
            "month": res.month,
            "feature": feature,
            "purpose": purpose,
            "model": model.id,
            "provider": model.provider,
            "providerModel": provider_model,
            "promptTokens": usage.prompt_tokens,
            "completionTokens": usage.completion_tokens,
            "reasoningTokens": usage.reasoning_tokens,
            "totalTokens": usage.total_tokens,
            "reservedTokens": res.tokens,
            "costNanoUsd": cost,
            "costUsd": cost / 1e9,
            "createdAt": now,
            "requestId": log.request_id(),
        })
        for extra_ref, document in extra:
            tx.create(extra_ref, document)
        result["used"] = data["tokens"]

    _run(apply)
    year, month = map(int, res.month.split("-"))
    return Receipt(ledger.id, usage, cost, result["used"], res.limit,
                   resets_at(_dt.datetime(year, month, 1, tzinfo=_dt.timezone.utc)))

