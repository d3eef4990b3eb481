"""Metering of AI calls against the plan's monthly token allowance (policy 8.1).

Every provider call goes through three steps:

1. `reserve`: a transaction on the person's counter for the month (UTC) that
   adds a reservation of the most tokens the call can use, and refuses
   (RESOURCE_EXHAUSTED, with when the allowance resets) when the month's tokens
   plus every live reservation plus this one would pass the plan's limit.
2. the call itself.
3. `settle`: one commit, with no read, that adds the real tokens and cost to the
   counter as Increment transforms, zeroes the reservation and creates the
   per-call ledger entry (and the history entry); or `release` when the call
   failed, which zeroes the reservation and costs nothing.

Because a reservation is the call's upper bound (prompt bytes, which no
byte-level tokenizer exceeds, plus the completion and reasoning budgets), calls
racing at the limit cannot together pass it; should a provider ever count more
than the bound, the excess is at most that one call's. A reservation whose
call never settled (the instance died) expires after RESERVATION_TTL.

Reservations are entries `reservations.<id> = {tokens, at}` on the counter.
`reserve` (a transaction: reserving calls read the counter, so they serialize
on it) rewrites the map with the live entries and its own, and never writes the
totals; `settle` and `release` set their entry's `tokens` to 0 by field path,
without reading. On Firestore a write landing inside a reserving transaction
makes the transaction retry. The stand-in serializes only transactions: a settle
that lands between a reservation's read and its commit may have its zero
overwritten, so that reservation counts as held until it expires; that only
makes the limit stricter for those minutes, never looser, and the totals, which
settles change by Increment alone, stay exact.
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
    used: int = 0  # the month's tokens when the reservation was made


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


def _alive(entry: dict, now: _dt.datetime) -> bool:
    return bool(entry.get("tokens")) and bool(entry.get("at")) and entry["at"] > now - RESERVATION_TTL


def held(reservations: dict | None, now: _dt.datetime) -> int:
    """Tokens held by calls in progress: reservations neither settled, released nor expired."""
    return sum(r["tokens"] for r in (reservations or {}).values() if _alive(r, now))


def _run(fn):
    from google.cloud import firestore

    return firestore.transactional(fn)(db.client().transaction(max_attempts=TX_ATTEMPTS))


def reserve(uid: str, plan, tokens: int) -> Reservation:
    """Reserve `tokens` of this month's allowance of `plan` (core.plans.Plan) for one call."""
    now = clock.now()
    # A letter first: the id is a field name in a field path.
    month, rid = month_of(now), f"r{uuid.uuid4().hex}"
    ref = counter_ref(uid, month)
    limit = plan.ai_tokens_per_month
    seen: dict = {}

    def apply(tx):
        snap = ref.get(transaction=tx)
        data = snap.to_dict() if snap.exists else None
        reservations = (data or {}).get("reservations") or {}
        in_flight = held(reservations, now)
        used = (data or {}).get("tokens", 0)
        if used + in_flight + tokens > limit:
            reset = resets_at(now)
            raise ResourceExhausted(
                f"Not enough AI allowance left this month: {used:,} of your {plan.name} plan's {limit:,} tokens "
                f"are used{f' and {in_flight:,} are held by requests in progress' if in_flight else ''}, and this "
                f"request may need up to {tokens:,}. Your allowance resets on {_iso(reset)}; upgrade for more.",
                {"used": used, "held": in_flight, "needed": tokens, "limit": limit, "plan": plan.name,
                 "resetsAt": _iso(reset)},
            )
        # Only the live reservations and this one are kept: settled, released and expired ones go.
        live = {k: r for k, r in reservations.items() if _alive(r, now)}
        live[rid] = {"tokens": tokens, "at": now}
        if data is None:
            tx.create(ref, {**_fresh(uid, month, now), "reservations": live, "updatedAt": now})
        else:
            # Never the totals: settles add to them with Increment, outside any transaction.
            tx.update(ref, {"reservations": live, "updatedAt": now})
        seen["used"] = used

    _run(apply)
    return Reservation(uid, month, rid, tokens, limit, plan.name, seen["used"])


def release(res: Reservation) -> None:
    """Give a reservation back: the call failed and costs nothing."""
    try:
        counter_ref(res.uid, res.month).update({f"reservations.{res.id}.tokens": 0, "updatedAt": clock.now()})
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
    """Charge a call that succeeded (`usage` from `charged`): the real usage is added to
    the counter, the reservation zeroed and the ledger entry created, in one commit
    without a read. `extra` is (ref, document) pairs created in the same commit (the
    AI history entry)."""
    from google.cloud import firestore

    cost = model.cost_nano_usd(usage.prompt_tokens, usage.completion_tokens)
    ledger = db.client().collection(AI_USAGE).document()
    now = clock.now()
    batch = db.client().batch()
    batch.update(counter_ref(res.uid, res.month), {
        "tokens": firestore.Increment(usage.total_tokens),
        "promptTokens": firestore.Increment(usage.prompt_tokens),
        "completionTokens": firestore.Increment(usage.completion_tokens),
        "costNanoUsd": firestore.Increment(cost),
        "costUsd": firestore.Increment(cost / 1e9),
        "calls": firestore.Increment(1),
        f"reservations.{res.id}.tokens": 0,
        "updatedAt": now,
    })
    batch.create(ledger, {
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
        batch.create(extra_ref, document)
    batch.commit()
    year, month = map(int, res.month.split("-"))
    # The month's tokens as of the reservation plus this call's: exact unless the same
    # person had another call settle meanwhile (the counter itself is always exact).
    return Receipt(ledger.id, usage, cost, res.used + usage.total_tokens, res.limit,
                   resets_at(_dt.datetime(year, month, 1, tzinfo=_dt.timezone.utc)))
