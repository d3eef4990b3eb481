"""The OpenAI-compatible fake, seen through the real openai SDK: the documented
response and error shapes that ai.providers relies on. If the fake drifted
from them, the AI tests would prove nothing."""

import openai
import pytest
from pydantic import BaseModel


def client(fake, key=None):
    return openai.OpenAI(base_url=f"{fake.url}/v1", api_key=key or fake.api_key, max_retries=0, timeout=5)


class Tags(BaseModel):
    hashtags: list[str]


def test_a_completion_has_the_documented_shape_and_word_counted_usage(openai_fake):
    openai_fake.answer("Two words")
    answer = client(openai_fake).chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "system", "content": "be brief"}, {"role": "user", "content": "say hi"}])
    assert answer.object == "chat.completion"
    assert answer.choices[0].message.content == "Two words"
    assert answer.choices[0].finish_reason == "stop"
    assert (answer.usage.prompt_tokens, answer.usage.completion_tokens, answer.usage.total_tokens) == (4, 2, 6)


def test_xai_counts_reasoning_outside_completion_tokens_but_inside_the_total(xai_fake):
    xai_fake.answer("three short words")
    answer = client(xai_fake).chat.completions.create(
        model="grok-4.3", messages=[{"role": "user", "content": "one two"}])
    usage = answer.usage
    assert usage.completion_tokens == 3
    assert usage.completion_tokens_details.reasoning_tokens == xai_fake.reasoning_tokens
    assert usage.total_tokens == 2 + 3 + xai_fake.reasoning_tokens


def test_structured_output_is_parsed_by_the_sdk(openai_fake):
    openai_fake.answer({"hashtags": ["Coffee", "Morning"]})
    answer = client(openai_fake).chat.completions.parse(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "tags"}], response_format=Tags)
    assert answer.choices[0].message.parsed == Tags(hashtags=["Coffee", "Morning"])
    sent = openai_fake.completions()[0]["response_format"]
    assert sent["type"] == "json_schema" and sent["json_schema"]["strict"] is True


def test_a_non_strict_schema_is_refused_as_openai_does(openai_fake):
    with pytest.raises(openai.BadRequestError) as err:
        client(openai_fake).chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}],
            response_format={"type": "json_schema", "json_schema": {
                "name": "loose", "strict": True, "schema": {"type": "object", "properties": {"a": {"type": "string"}}}}})
    assert err.value.param == "response_format"


def test_max_completion_tokens_cuts_the_answer_with_finish_reason_length(openai_fake):
    openai_fake.answer("one two three four five")
    answer = client(openai_fake).chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}], max_completion_tokens=2)
    assert answer.choices[0].message.content == "one two"
    assert answer.choices[0].finish_reason == "length"


def test_errors_reach_the_sdk_as_its_documented_exceptions(openai_fake):
    api = client(openai_fake).chat.completions
    ask = dict(model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}])
    openai_fake.rate_limited(retry_after=7)
    with pytest.raises(openai.RateLimitError) as err:
        api.create(**ask)
    assert err.value.code == "rate_limit_exceeded"
    assert err.value.response.headers["retry-after"] == "7"
    openai_fake.policy_violation()
    with pytest.raises(openai.BadRequestError) as err:
        api.create(**ask)
    assert err.value.code == "invalid_prompt"
    openai_fake.server_error()
    with pytest.raises(openai.InternalServerError):
        api.create(**ask)
    with pytest.raises(openai.NotFoundError) as err:
        api.create(model="gpt-0", messages=ask["messages"])
    assert err.value.code == "model_not_found"
    with pytest.raises(openai.AuthenticationError) as err:
        client(openai_fake, "sk-wrong").chat.completions.create(**ask)
    assert err.value.code == "invalid_api_key"
    openai_fake.stall(3)
    with pytest.raises(openai.APITimeoutError):
        client(openai_fake).with_options(timeout=0.3).chat.completions.create(**ask)


def test_a_refusal_comes_back_in_message_refusal(openai_fake):
    openai_fake.refuse()
    answer = client(openai_fake).chat.completions.parse(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}], response_format=Tags)
    message = answer.choices[0].message
    assert message.refusal and message.parsed is None
