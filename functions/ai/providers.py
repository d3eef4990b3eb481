"""AI providers through the openai SDK: OpenAI, and xAI's Grok through its
OpenAI-compatible endpoint (the same client with another base_url and key).

`complete(model, messages, ...)` makes one provider call and returns the answer
with its token usage. Retries are ours, not the SDK's (the client is built with
max_retries=0): the SDK would honour a Retry-After of up to two minutes, more
than a person waiting on a callable should sit through, so here 429, 5xx,
timeouts and dropped connections are retried at most `POLICY.attempts` times in
all, with exponential backoff, inside a time budget; a Retry-After longer than
`POLICY.max_retry_after_s` ends the call at once. What is left maps onto
kernel.errors: UNAVAILABLE for the provider being busy, down or misconfigured;
INVALID_ARGUMENT for a content-policy refusal (the person can rephrase).
"""

import functools
import random
import time
from dataclasses import dataclass
from typing import Any

from ai.models import Model
from kernel import log, settings
from kernel.errors import Internal, InvalidArgument, PostrError, Unavailable


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3  # tries in all, the first included
    backoff_s: float = 0.5  # wait before retry n: backoff_s * 2**(n-1), minus up to 25 % jitter
    max_retry_after_s: float = 10.0  # a longer Retry-After is not waited for
    request_timeout_s: float = 25.0
    budget_s: float = 60.0  # every attempt of one complete() together


POLICY = RetryPolicy()


@dataclass(frozen=True)
class Provider:
    name: str
    label: str
    api_key: Any  # SecretParam
    base_url: Any  # StringParam


PROVIDERS: dict[str, Provider] = {
    "openai": Provider("openai", "OpenAI", settings.OPENAI_API_KEY, settings.OPENAI_BASE_URL),
    "xai": Provider("xai", "xAI", settings.XAI_API_KEY, settings.XAI_BASE_URL),
}

POLICY_REFUSAL = ("The AI provider declined this request under its content policy. "
                  "Rephrase it and try again.")
# Error codes providers use for content they refuse (OpenAI: invalid_prompt on chat,
# content_policy_violation on images and moderation; content_filter on some gateways).
POLICY_CODES = frozenset({"invalid_prompt", "content_policy_violation", "content_filter"})
RETRYABLE_STATUS = frozenset({408, 409, 429})


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int
    completion_tokens: int  # everything billed as output, reasoning included
    reasoning_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True)
class Completion:
    text: str | None  # the answer's text (plain calls)
    parsed: Any  # the answer as the schema's model (structured calls)
    finish_reason: str
    usage: Usage | None  # None: the provider reported none
    provider_model: str  # the model that answered, as the provider names it
    attempts: int


@dataclass(frozen=True)
class Billed:
    """An answer the provider returned, and so billed, that postr could not use (a
    refusal, a cut-off, a broken schema, an empty answer): metered all the same
    (policy 8.1). `usage` None: the provider reported none."""

    usage: Usage | None
    provider_model: str
    outcome: str  # refused, content_filter, answer_cut_off, answer_unreadable, answer_empty


def _unusable(error: PostrError, answer, model: Model, outcome: str) -> PostrError:
    error.billed = Billed(usage_of(getattr(answer, "usage", None)) if answer is not None else None,
                          getattr(answer, "model", None) or model.name, outcome)
    return error


def configured(provider: str) -> bool:
    return settings.secret_value(PROVIDERS[provider].api_key) is not None


def check_configured(model: Model) -> None:
    """Refuse before anything is reserved or sent when the provider has no key."""
    if not configured(model.provider):
        log.error("ai provider not configured", provider=model.provider)
        raise Unavailable(f"{model.label} is not available right now. Try another model or try again later.",
                          {"reason": "provider_not_configured", "model": model.id})


@functools.lru_cache(maxsize=8)
def _client(base_url: str, api_key: str):
    from openai import OpenAI

    return OpenAI(base_url=base_url, api_key=api_key, max_retries=0)


def client(provider: str):
    p = PROVIDERS[provider]
    return _client(p.base_url.value, settings.secret_value(p.api_key) or "")


def usage_of(raw) -> Usage | None:
    """Token usage read the same way for both providers. OpenAI counts reasoning
    inside completion_tokens; xAI outside it but inside total_tokens. Output billed
    is therefore whichever is larger: completion_tokens, or total - prompt."""
    if raw is None:
        return None
    prompt = raw.prompt_tokens or 0
    completion = raw.completion_tokens or 0
    details = getattr(raw, "completion_tokens_details", None)
    reasoning = (getattr(details, "reasoning_tokens", None) or 0) if details else 0
    output = max(completion, (raw.total_tokens or 0) - prompt)
    return Usage(prompt, output, reasoning)


def complete(model: Model, messages: list[dict], *, max_tokens: int, schema: type | None = None) -> Completion:
    """One answer from the model. `schema` (a pydantic model) asks for structured
    output (response_format json_schema, strict) and returns it parsed."""
    import openai
    import pydantic

    check_configured(model)
    api = client(model.provider).chat.completions
    request = {"model": model.name, "messages": messages, "max_completion_tokens": max_tokens, **dict(model.options)}
    started = time.monotonic()
    attempt = 0
    while True:
        attempt += 1
        remaining = POLICY.budget_s - (time.monotonic() - started)
        timeout = max(0.1, min(POLICY.request_timeout_s, remaining))
        raw = None
        try:
            if schema is not None:
                # The raw response stays at hand: an answer that breaks the schema was billed,
                # and only the raw body says for how many tokens.
                raw = api.with_raw_response.parse(response_format=schema, timeout=timeout, **request)
                answer = raw.parse()
            else:
                answer = api.create(timeout=timeout, **request)
        except (openai.APIStatusError, openai.APIConnectionError) as exc:
            wait = _retry_wait(exc, attempt)
            elapsed = time.monotonic() - started
            if wait is None or attempt >= POLICY.attempts or elapsed + wait + 0.5 > POLICY.budget_s:
                raise _domain_error(exc, model, attempt) from None
            log.warn("ai provider call retried", provider=model.provider, model=model.id, attempt=attempt,
                     error=type(exc).__name__, status=getattr(exc, "status_code", None), waitS=round(wait, 2))
            time.sleep(wait)
            continue
        except openai.ContentFilterFinishReasonError as exc:
            raise _unusable(InvalidArgument(POLICY_REFUSAL, {"reason": "content_policy"}), exc.completion, model,
                            "content_filter") from None
        except openai.LengthFinishReasonError as exc:
            _log_failure(model, attempt, "answer_cut_off")
            raise _unusable(Unavailable("The AI's answer was cut off. Please try again.",
                                        {"reason": "answer_cut_off"}), exc.completion, model, "answer_cut_off") from None
        except pydantic.ValidationError as exc:  # the answer broke the schema
            _log_failure(model, attempt, "answer_unreadable", error=type(exc).__name__)
            raise _unusable(Unavailable("The AI's answer could not be read. Please try again.",
                                        {"reason": "answer_unreadable"}), _raw_answer(raw), model,
                            "answer_unreadable") from None
        return _completion(answer, model, attempt, schema is not None, time.monotonic() - started)


def _completion(answer, model: Model, attempts: int, structured: bool, elapsed: float) -> Completion:
    choice = answer.choices[0]
    message = choice.message
    usage = usage_of(answer.usage)
    log.info("ai provider call", provider=model.provider, model=model.id, attempts=attempts,
             ms=round(elapsed * 1000), finishReason=choice.finish_reason,
             usageIn=usage.prompt_tokens if usage else None, usageOut=usage.completion_tokens if usage else None)
    if getattr(message, "refusal", None) or choice.finish_reason == "content_filter":
        raise _unusable(InvalidArgument(POLICY_REFUSAL, {"reason": "refused"}), answer, model, "refused")
    if choice.finish_reason == "length":  # the SDK's parse() raises this itself; plain answers end here
        _log_failure(model, attempts, "answer_cut_off")
        raise _unusable(Unavailable("The AI's answer was cut off. Please try again.", {"reason": "answer_cut_off"}),
                        answer, model, "answer_cut_off")
    parsed = getattr(message, "parsed", None) if structured else None
    text = message.content
    if (structured and parsed is None) or (not structured and not (text or "").strip()):
        _log_failure(model, attempts, "answer_empty")
        raise _unusable(Unavailable("The AI returned an empty answer. Please try again.", {"reason": "answer_empty"}),
                        answer, model, "answer_empty")
    return Completion(text=text, parsed=parsed, finish_reason=choice.finish_reason or "stop", usage=usage,
                      provider_model=answer.model or model.name, attempts=attempts)


def _raw_answer(raw):
    """The chat completion in a raw response whose parsing failed (its usage and model), or None."""
    from openai.types.chat import ChatCompletion

    try:
        return ChatCompletion.model_validate(raw.http_response.json())
    except Exception:  # not even a completion: nothing says what it cost
        return None


def _retry_wait(exc, attempt: int) -> float | None:
    """Seconds to wait before retrying, or None when retrying cannot help."""
    import openai

    if isinstance(exc, openai.APIConnectionError):  # timeouts included
        return _backoff(attempt)
    status = exc.status_code
    if status == 429 and exc.code == "insufficient_quota":
        return None  # the account is out of credit: no retry will change that
    if status in RETRYABLE_STATUS or status >= 500:
        hinted = _retry_after(exc.response)
        if hinted is not None:
            return hinted if hinted <= POLICY.max_retry_after_s else None
        return _backoff(attempt)
    return None


def _backoff(attempt: int) -> float:
    return POLICY.backoff_s * 2 ** (attempt - 1) * (1 - 0.25 * random.random())


def _retry_after(response) -> float | None:
    from platforms.http import retry_after

    return retry_after(response)


def _domain_error(exc, model: Model, attempts: int) -> PostrError:
    import openai

    base = {"model": model.id, "attempts": attempts}
    if isinstance(exc, openai.APITimeoutError):
        _log_failure(model, attempts, "timeout")
        return Unavailable(f"{model.label} did not answer in time. Please try again.", {**base, "reason": "timeout"})
    if isinstance(exc, openai.APIConnectionError):
        _log_failure(model, attempts, "connection")
        return Unavailable(f"{model.label} could not be reached. Please try again.", {**base, "reason": "connection"})
    status, code = exc.status_code, exc.code
    _log_failure(model, attempts, "status", status=status, errorCode=code)
    if status == 400 and code in POLICY_CODES:
        return InvalidArgument(POLICY_REFUSAL, {"reason": "content_policy"})
    if status == 429 and code == "insufficient_quota":
        return Unavailable(f"{model.label} is not available right now. Try another model or try again later.",
                           {**base, "reason": "provider_quota"})
    if status == 429:
        wait = _retry_after(exc.response)
        details = {**base, "reason": "rate_limited", **({"retryAfterS": round(wait)} if wait is not None else {})}
        return Unavailable(f"{model.label} is busy right now. Please try again in a minute.", details)
    if status >= 500 or status in RETRYABLE_STATUS:
        return Unavailable(f"{model.label} had a temporary problem. Please try again.",
                           {**base, "reason": "provider_error"})
    if status in (401, 403, 404):  # our key or our catalogue is wrong: nothing the person can do
        return Unavailable(f"{model.label} is not available right now. Try another model or try again later.",
                           {**base, "reason": "provider_refused"})
    return Internal("The AI request could not be made. It has been logged; please try again later.")


def _log_failure(model: Model, attempts: int, kind: str, **fields) -> None:
    log.warn("ai provider call failed", provider=model.provider, model=model.id, attempts=attempts, failure=kind,
             **fields)
