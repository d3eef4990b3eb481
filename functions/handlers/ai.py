"""AI writing callables (policy 2.4, 3, 8.1): generate posts from a brief, enhance
a text, suggest hashtags, and list the person's AI history.

Each request: the profile (plan and preferred model), the model (ai.models),
then for every provider call a reservation of the call's most tokens, the call,
and the charge of its real tokens (ai.metering); a call that fails costs
nothing. Text meant for a network is checked with that network's validate;
what does not fit is asked for again once, shorter, then trimmed at a word
boundary if it still does not fit, and the result says so: nothing is cut
silently. Bad input is refused before anything is reserved or sent.
"""

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, create_model

from ai import history as history_store
from ai import metering as ai_metering
from ai import models as ai_models
from ai import networks as ai_networks
from ai import prompts as ai_prompts
from ai import providers as ai_providers
from handlers.edge import Caller, callable_handler
from handlers.schema import Strict, no_control
from platforms import REGISTRY
from kernel import clock, log, plans
from kernel.errors import FailedPrecondition, InvalidArgument, PostrError, ResourceExhausted, Unavailable

_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
BRIEF_MAX = 2000
TEXT_MAX = 5000
INSTRUCTION_MAX = 300


def _one_of(what: str, choices):
    """A validator accepting only `choices()` (called late: the lists are tables elsewhere)."""

    def check(value: str) -> str:
        if value not in choices():
            raise ValueError(f"unknown {what} {value!r}; choose one of {', '.join(choices())}")
        return value

    return check


def _networks() -> list[str]:
    """Networks AI writes for: those whose module declares text rules."""
    return sorted(ai_networks.names())


_check_model = _one_of("model", lambda: ai_models.MODEL_IDS)
_check_network = _one_of("network", _networks)
_check_hashtag_network = _one_of("network", _networks)


def _check_language(value: str) -> str:
    if not _LANGUAGE.match(value):
        raise ValueError(f"{value!r} is not a language tag such as 'en' or 'pt-BR'")
    return value


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _text(max_length: int):
    return Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length),
                     AfterValidator(no_control)]


ModelId = Annotated[str, Field(max_length=64), AfterValidator(_check_model)]
Network = Annotated[str, Field(max_length=32), AfterValidator(_check_network)]


class Generate(Strict):
    brief: _text(BRIEF_MAX)
    networks: Annotated[list[Network], Field(min_length=1, max_length=len(REGISTRY)),
                        AfterValidator(_unique)]
    tone: _text(40) = "friendly"
    length: Literal["short", "medium", "long"] = "medium"
    language: Annotated[str, Field(max_length=35), AfterValidator(_check_language)] | None = None
    model: ModelId | None = None


class Enhance(Strict):
    text: _text(TEXT_MAX)
    # One of ai_prompts.PRESETS ("shorter", "fix_grammar", ...) or the person's own words.
    instruction: _text(INSTRUCTION_MAX)
    network: Network | None = None
    model: ModelId | None = None


class Hashtags(Strict):
    text: _text(TEXT_MAX)
    network: Annotated[str, Field(max_length=32), AfterValidator(_check_hashtag_network)]
    count: Annotated[int, Field(ge=1, le=ai_networks.HASHTAGS_MAX)] = 5
    model: ModelId | None = None


class History(Strict):
    limit: Annotated[int, Field(ge=1, le=50)] = 20
    before: Annotated[str, Field(max_length=64, pattern=history_store.CURSOR.pattern)] | None = None
    feature: Literal["generate", "enhance", "hashtags"] | None = None


class HashtagSuggestions(BaseModel):
    hashtags: list[str]


class _Session:
    """One callable's AI work for one person: the model it uses and its metered
    calls. A call is charged when the next one starts or when the session
    finishes, then together with the history entry, in one commit; leaving the
    session by an exception releases a call not yet charged: it costs nothing.

    The profile (status, plan, preferred model), whose read the edge started when
    the call arrived, is awaited beside the first call's hold rather than before
    it (`checks_account=True`), so the two cost one round trip."""

    def __init__(self, caller: Caller, requested: str | None, feature: str):
        self.uid, self.feature, self.requested = caller.uid, feature, requested
        self._caller = caller
        self.plan: plans.Plan | None = None
        self.model: ai_models.Model | None = None
        self.charges: list[ai_providers.Usage] = []
        self.receipt: ai_metering.Receipt | None = None
        self._pending: tuple | None = None  # (reservation, usage, purpose, provider model) not yet charged

    def _resolve(self) -> None:
        """The plan and model, once the profile is read (refusing an inactive account)."""
        if self.model is None:
            _, profile = self._caller.profile()
            self.plan = plans.plan(profile.get("plan"))
            preferred = (profile.get("settings") or {}).get("preferredAiModel")
            self.model = ai_models.choose(self.plan, self.requested, preferred)
            ai_providers.check_configured(self.model)
            _last_model[self.uid] = self.model
            while len(_last_model) > _LAST_MODEL_MAX:
                _last_model.pop(next(iter(_last_model)))

    def _reserve(self, base: int) -> ai_metering.Reservation:
        """Hold `base` tokens plus the model's reasoning allowance, within the plan.

        On the session's first call the model is not known yet: the hold is sized
        for the model asked for, else the one this instance last saw the person use,
        and made while the profile is read. A wrong guess costs a second hold, never
        a looser limit; no guess at all means reading the profile first."""
        if self.model is None:
            guess = ai_models.get(self.requested) if self.requested else _last_model.get(self.uid)
            if guess is not None:
                from google.api_core.exceptions import NotFound

                try:
                    # create=False: no counter is created before the profile is seen to be active.
                    res = ai_metering.hold(self.uid, base + guess.reasoning_allowance, create=False)
                except NotFound:  # the month's first call
                    res = None
                if res is not None:
                    try:
                        self._resolve()
                    except BaseException:
                        ai_metering.release(res)
                        raise
                    needs = base + self.model.reasoning_allowance
                    if needs <= res.tokens:
                        return ai_metering.check(res, self.plan, needs=needs)
                    ai_metering.release(res)
            self._resolve()
        return ai_metering.reserve(self.uid, self.plan, base + self.model.reasoning_allowance)

    def __enter__(self) -> "_Session":
        return self

    def __exit__(self, kind, *_) -> None:
        if kind is not None and self._pending:
            ai_metering.release(self._pending[0])
            self.charges.pop()
            self._pending = None

    def call(self, purpose: str, messages: list[dict], budget: int, schema: type | None = None):
        """Reserve the call's most tokens, then call; a failed call releases its reservation."""
        self._charge()
        reservation = self._reserve(ai_prompts.prompt_bound(messages, schema) + budget)
        max_tokens = budget + self.model.reasoning_allowance
        try:
            completion = ai_providers.complete(self.model, messages, max_tokens=max_tokens, schema=schema)
        except PostrError as exc:
            if exc.billed is None:  # never reached the provider, or it did not bill: it costs nothing
                ai_metering.release(reservation)
                raise
            # The provider answered and billed it, though the answer was of no use: metered (policy 8.1).
            usage = ai_metering.charged(reservation, exc.billed.usage, self.model)
            self.charges.append(usage)
            self.receipt = ai_metering.settle(reservation, model=self.model, feature=self.feature, purpose=purpose,
                                              usage=usage, provider_model=exc.billed.provider_model,
                                              outcome=exc.billed.outcome)
            raise
        except BaseException:
            ai_metering.release(reservation)
            raise
        usage = ai_metering.charged(reservation, completion.usage, self.model)
        self.charges.append(usage)
        self._pending = (reservation, usage, purpose, completion.provider_model)
        return completion

    def _charge(self, extra: tuple = ()) -> None:
        if self._pending:
            reservation, usage, purpose, provider_model = self._pending
            self._pending = None
            self.receipt = ai_metering.settle(reservation, model=self.model, feature=self.feature, purpose=purpose,
                                              usage=usage, provider_model=provider_model, extra=extra)
        elif extra:
            for ref, document in extra:
                ref.create(document)

    def usage(self) -> dict:
        prompt = sum(u.prompt_tokens for u in self.charges)
        completion = sum(u.completion_tokens for u in self.charges)
        nano = sum(self.model.cost_nano_usd(u.prompt_tokens, u.completion_tokens) for u in self.charges)
        return {"promptTokens": prompt, "completionTokens": completion, "totalTokens": prompt + completion,
                "costUsd": nano / 1e9, "calls": len(self.charges)}

    def finish(self, input: dict, output: dict) -> dict:
        """Charge the last call and keep the request and its result in the history
        (one commit); the callable's answer."""
        usage = self.usage()
        ref, entry = history_store.new_entry(self.uid, feature=self.feature, model=self.model.id, created=clock.now(),
                                             input=input, output=output, usage=usage)
        self._charge(extra=((ref, entry),))
        return {"id": ref.id, "model": self.model.id, **output, "usage": usage, "allowance": self.receipt.allowance()}


# uid -> the model this instance last charged them for: the first hold's guess (see _Session._reserve).
_last_model: dict[str, ai_models.Model] = {}
_LAST_MODEL_MAX = 4096


def _fit(session: _Session, networks: list[str], texts: dict[str, str], again) -> list[dict]:
    """Make each network's text fit it: ask once more for those that do not
    (`again(misfits)` -> new texts), trim what still does not at a word boundary,
    and report every change and every problem left."""
    changes: dict[str, list[str]] = {n: [] for n in networks}
    misfits = {n: [p.message for p in ai_networks.problems(n, texts[n])] for n in networks}
    misfits = {n: why for n, why in misfits.items() if why}
    if misfits:
        try:
            for n, text in again(misfits).items():
                texts[n] = text
                changes[n].append("regenerated")
        except (ResourceExhausted, Unavailable, InvalidArgument) as exc:
            # The first answer stands; trimming below still makes it fit.
            log.info("ai regeneration skipped", feature=session.feature, errorCode=exc.code)
    results = []
    for n in networks:
        problems = ai_networks.problems(n, texts[n]) if n in misfits else []
        if problems and (trimmed := ai_networks.trim(n, texts[n])) is not None:
            texts[n] = trimmed
            changes[n].append("trimmed")
            problems = ai_networks.problems(n, trimmed)
        results.append({"network": n, "text": texts[n], "fits": not problems, "adjustments": changes[n],
                        "problems": [{"field": p.field, "message": p.message} for p in problems]})
    return results


def _posts_model(networks: list[str]) -> type[BaseModel]:
    fields = {n: (str, Field(description=f"The post for {ai_networks.rules(n).label}")) for n in networks}
    return create_model("Posts", __config__=ConfigDict(extra="forbid"), **fields)


@callable_handler(Generate, checks_account=True)
def ai_generate(caller: Caller, payload: Generate) -> dict:
    with _Session(caller, payload.model, "generate") as session:
        return _generate(session, payload)


def _generate(session: _Session, payload: Generate) -> dict:
    networks = payload.networks
    messages = ai_prompts.generate(payload.brief, networks, payload.tone, payload.length, payload.language)
    first = session.call("draft", messages, ai_prompts.completion_budget(networks), _posts_model(networks))
    texts = {n: getattr(first.parsed, n).strip() for n in networks}

    def again(misfits: dict[str, list[str]]) -> dict[str, str]:
        wanted = list(misfits)
        answer = session.call("regenerate", ai_prompts.shorten(messages, dict(texts), misfits),
                              ai_prompts.completion_budget(wanted), _posts_model(wanted))
        return {n: getattr(answer.parsed, n).strip() for n in wanted}

    posts = _fit(session, networks, texts, again)
    return session.finish(
        {"brief": payload.brief, "networks": networks, "tone": payload.tone, "length": payload.length,
         "language": payload.language},
        {"posts": posts},
    )


@callable_handler(Enhance, checks_account=True)
def ai_enhance(caller: Caller, payload: Enhance) -> dict:
    with _Session(caller, payload.model, "enhance") as session:
        return _enhance(session, payload)


def _enhance(session: _Session, payload: Enhance) -> dict:
    messages = ai_prompts.enhance(payload.text, payload.instruction, payload.network)
    budget = ai_prompts.text_budget(payload.text, payload.network)
    text = session.call("draft", messages, budget).text.strip()
    output: dict = {"text": text, "network": payload.network}
    if payload.network:
        def again(misfits: dict[str, list[str]]) -> dict[str, str]:
            answer = session.call("regenerate", ai_prompts.shorten_text(messages, text, misfits[payload.network]),
                                  budget)
            return {payload.network: answer.text.strip()}

        [output] = _fit(session, [payload.network], {payload.network: text}, again)
    return session.finish({"text": payload.text, "instruction": payload.instruction, "network": payload.network},
                          output)


@callable_handler(Hashtags, checks_account=True)
def ai_hashtags(caller: Caller, payload: Hashtags) -> dict:
    rules = ai_networks.rules(payload.network)
    present = ai_networks.hashtags_in(payload.text)
    room = min(payload.count, rules.max_hashtags - len(present))
    if room <= 0:
        raise FailedPrecondition(
            f"This text already has {len(present)} hashtags and {rules.label} takes at most {rules.max_hashtags} "
            "a post, so there is no room for more.",
            {"reason": "hashtag_cap", "present": len(present), "max": rules.max_hashtags},
        )
    with _Session(caller, payload.model, "hashtags") as session:
        messages = ai_prompts.hashtags(payload.text, payload.network, room)
        answer = session.call("draft", messages, ai_prompts.hashtag_budget(room), HashtagSuggestions)
        tags = ai_networks.normalize_hashtags(payload.network, answer.parsed.hashtags, payload.text, room)
        output = {"network": payload.network, "hashtags": tags, "dropped": [], "problems": []}
        if tags:
            output.update(_fit_hashtags(payload.network, payload.text, tags))
        return session.finish({"text": payload.text, "network": payload.network, "count": payload.count}, output)


def _fit_hashtags(network: str, text: str, tags: list[str]) -> dict:
    """Drop suggestions from the end until the text with them fits the network;
    when the text alone does not fit, say so and leave the suggestions be."""
    alone = ai_networks.problems(network, text)
    if alone:
        return {"problems": [{"field": p.field, "message": p.message} for p in alone]}
    kept = list(tags)
    while kept and ai_networks.problems(network, f"{text}\n\n{' '.join(kept)}"):
        kept.pop()
    return {"hashtags": kept, "dropped": tags[len(kept):]}


@callable_handler(History)
def ai_history(caller: Caller, payload: History) -> dict:
    return history_store.page(caller.uid, limit=payload.limit, before=payload.before, feature=payload.feature)
