"""Metering of AI calls against the plan's monthly token allowance (policy 8.1).

Every provider call goes through three steps, each one Firestore commit with no
read and no transaction (a person's counter is a hot document: Firestore aborts
contended transactions, and one document takes about one contended write a
second):

1. `hold`: Increment transforms on the person's counter for the month (UTC) add
   a hold of the most tokens the call can use, and the commit's transform
   results give back the month's tokens and every live hold, this one included.
   `check` then compares them with the plan's limit; over it, `release` takes
   the hold back (a compensating Increment) and the call is refused
   (RESOURCE_EXHAUSTED, with when the allowance resets).
2. the call itself.
3. `settle`: one commit that adds the real tokens and cost to the counter,
   takes the hold back and creates the per-call ledger entry (and the history
   entry). An answer the provider returned and billed is settled even when postr
   could not use it (a refusal, a cut-off, a broken schema, an empty answer),
   with its outcome in the ledger; only a call that never reached the provider,
   or that it did not bill (an error status, a timeout), is released at no cost.

Racing calls never overspend: the counter applies their commits one after the
other, so each sees every hold committed before its own, and a hold is the
call's upper bound (prompt bytes, which no byte-level tokenizer exceeds, plus
the completion and reasoning budgets). A call may be refused near the limit
because another call's hold had not been taken back yet; never let past it.

Holds live in time windows (`held.w<n>`, n = the window of RESERVATION_TTL the
hold was made in): a hold counts in its own window and the next, so a hold
whose call never settled (the instance died) stops counting after one to two
TTLs, with nothing to clean up. A reservation commit also drops the window that
just stopped counting, so the map stays small.
"""

import datetime as _dt
from dataclasses import dataclass, replace

from ai.models import Model
from ai.providers import Usage
from kernel import clock, db, log
from kernel.collections import AI_USAGE, AI_USAGE_MONTHLY
from kernel.errors import ResourceExhausted

# Longer than any call can take (two provider calls, each within its retry budget).
RESERVATION_TTL = _dt.timedelta(minutes=10)


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


def window_of(at: _dt.datetime) -> int:
    return int(at.timestamp() // RESERVATION_TTL.total_seconds())


def counter_ref(uid: str, month: str):
    return db.doc(AI_USAGE_MONTHLY, f"{uid}_{month}")


@dataclass(frozen=True)
class Reservation:
    uid: str
    month: str
    window: int
    tokens: int  # what the hold added to the counter
    used: int  # the month's tokens when the hold was made
    held: int  # every live hold then, this one included
    limit: int = 0
    plan: str = ""


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


def held(counter: dict | None, now: _dt.datetime) -> int:
    """Tokens held by calls in progress, as a counter document shows them."""
    windows = (counter or {}).get("held") or {}
    n = window_of(now)
    return sum(windows.get(f"w{w}", 0) for w in (n, n - 1))


def hold(uid: str, tokens: int, *, create: bool = True) -> Reservation:
    """Hold `tokens` of this month's allowance for one call: one commit, whose
    answer says what the month had used and held, this hold included. With
    `create=False` a missing counter raises NotFound instead of creating it (the
    caller has not yet seen that the person may have one)."""
    from google.cloud import firestore

    now = clock.now()
    month, n = month_of(now), window_of(now)
    ref = counter_ref(uid, month)
    fields = {
        "tokens": firestore.Increment(0),  # read without reading: the transform answers the total
        f"held.w{n}": firestore.Increment(tokens),
        f"held.w{n - 1}": firestore.Increment(0),
        f"held.w{n - 2}": firestore.DELETE_FIELD,  # no longer counted by anyone
        "updatedAt": now,
    }
    batch = db.client().batch()
    if create:
        # set(merge) creates the counter on the month's first call; field paths become nested maps.
        batch.set(ref, {"uid": uid, "month": month, "tokens": fields["tokens"], "updatedAt": now,
                        "held": {f"w{n}": fields[f"held.w{n}"], f"w{n - 1}": fields[f"held.w{n - 1}"],
                                 f"w{n - 2}": firestore.DELETE_FIELD}}, merge=True)
    else:
        batch.update(ref, fields)
    [after] = db.commit(batch)
    return Reservation(uid, month, n, tokens, used=after["tokens"],
                       held=after[f"held.w{n}"] + after[f"held.w{n - 1}"])


def check(res: Reservation, plan, needs: int | None = None) -> Reservation:
    """Keep the hold if the month's tokens plus every live hold fit `plan`'s
    (kernel.plans.Plan) allowance; else take it back and refuse. `needs` is what this
    call can use when that is less than it held (its model became known after the
    hold): the difference is not counted against this call."""
    limit = plan.ai_tokens_per_month
    needs = res.tokens if needs is None else min(needs, res.tokens)
    in_flight = res.held - res.tokens  # the other calls' holds
    if res.used + in_flight + needs > limit:
        release(res)
        reset = resets_at(clock.now())
        raise ResourceExhausted(
            f"Not enough AI allowance left this month: {res.used:,} of your {plan.name} plan's {limit:,} tokens "
            f"are used{f' and {in_flight:,} are held by requests in progress' if in_flight else ''}, and this "
            f"request may need up to {needs:,}. Your allowance resets on {_iso(reset)}; upgrade for more.",
            {"used": res.used, "held": in_flight, "needed": needs, "limit": limit, "plan": plan.name,
             "resetsAt": _iso(reset)},
        )
    return replace(res, limit=limit, plan=plan.name)


def reserve(uid: str, plan, tokens: int) -> Reservation:
    """Hold `tokens` for one call within `plan`'s allowance, or refuse."""
    return check(hold(uid, tokens), plan)


def _take_back(res: Reservation) -> dict:
    from google.cloud import firestore

    return {f"held.w{res.window}": firestore.Increment(-res.tokens), "updatedAt": clock.now()}


def release(res: Reservation) -> None:
    """Give a hold back: the call failed, or was refused, and costs nothing."""
    try:
        counter_ref(res.uid, res.month).update(_take_back(res))
    except Exception as exc:  # the hold then stops counting on its own (RESERVATION_TTL)
        log.error("ai reservation release failed", uid=res.uid, error=type(exc).__name__)


def charged(res: Reservation, usage: Usage | None, model: Model) -> Usage:
    """What a successful call is charged: its real usage, or, when the provider
    reported none, the reservation (the most the call could have used)."""
    if usage is None:
        log.warn("ai usage missing; charged the reservation", provider=model.provider, model=model.id)
        return Usage(0, res.tokens)
    return usage


def settle(res: Reservation, *, model: Model, feature: str, purpose: str, usage: Usage,
           provider_model: str, extra: tuple = (), outcome: str = "ok") -> Receipt:
    """Charge a call the provider answered and billed (`usage` from `charged`): the real
    usage is added to the counter, the hold taken back and the ledger entry created,
    in one commit without a read. `outcome` is "ok", or why the answer could not be
    used (refused, answer_cut_off, ...: billed all the same). `extra` is (ref,
    document) pairs created in the same commit (the AI history entry)."""
    from google.cloud import firestore

    cost = model.cost_nano_usd(usage.prompt_tokens, usage.completion_tokens)
    ledger = db.client().collection(AI_USAGE).document()
    now = clock.now()
    batch = db.client().batch()
    # update, not set: a counter deleted meanwhile (the account was deleted) is not brought back.
    batch.update(counter_ref(res.uid, res.month), {
        "tokens": firestore.Increment(usage.total_tokens),
        "promptTokens": firestore.Increment(usage.prompt_tokens),
        "completionTokens": firestore.Increment(usage.completion_tokens),
        "costNanoUsd": firestore.Increment(cost),
        "costUsd": firestore.Increment(cost / 1e9),
        "calls": firestore.Increment(1),
        **_take_back(res),
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
        "outcome": outcome,
        "costNanoUsd": cost,
        "costUsd": cost / 1e9,
        "createdAt": now,
        "requestId": log.request_id(),
    })
    for extra_ref, document in extra:
        batch.create(extra_ref, document)
    counter = db.commit(batch)[0]
    year, month = map(int, res.month.split("-"))
    return Receipt(ledger.id, usage, cost, counter["tokens"], res.limit,
                   resets_at(_dt.datetime(year, month, 1, tzinfo=_dt.timezone.utc)))
