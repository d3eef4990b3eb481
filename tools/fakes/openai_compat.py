"""An OpenAI-compatible Chat Completions server on 127.0.0.1, for the openai SDK.

It imitates what OpenAI documents for `POST /v1/chat/completions` (and what
xAI's OpenAI-compatible endpoint answers): the `chat.completion` object with
`usage {prompt_tokens, completion_tokens, total_tokens, *_details}`, structured
outputs through `response_format: {"type": "json_schema", ...}` (strict schemas
are checked the way OpenAI refuses them), `max_completion_tokens` cutting the
answer with `finish_reason: "length"`, refusals (`message.refusal`), and error
bodies `{"error": {"message", "type", "param", "code"}}` with OpenAI's statuses
and codes (401 invalid_api_key, 404 model_not_found, 400 invalid_prompt /
content_policy_violation, 429 rate_limit_exceeded / insufficient_quota with
retry-after, 500 server_error).

Token counts are deterministic so tests can check totals by hand: a token here
is one whitespace-separated word. prompt_tokens is the sum over the messages'
text (the response_format schema is not counted); completion_tokens is the
answer's words. With usage="xai" the server answers as xAI does for reasoning
models: `completion_tokens_details.reasoning_tokens` are counted outside
completion_tokens but inside total_tokens; with usage="openai" (the default)
reasoning tokens are part of completion_tokens.

Where it falls short of the real services: no streaming, tools, images, audio,
logprobs or n > 1; the model "writes" only what a test scripts (`answer(...)`)
or, unscripted, a deterministic echo of the last user message (or, for a JSON
schema, an instance built from the schema with words of that message);
scripted structured answers are sent as given, valid or not, so tests can check
how a client copes with a model that breaks the schema.

Tests script answers and failures in one ordered queue (`answer`, `fail`,
`rate_limited`, `server_error`, `policy_violation`, `refuse`, `stall`), so a
good answer can be followed by failures; `hold()` keeps answers waiting until
`release()`, for races. Run alone: `python -m fakes.openai_compat` from tools/.
"""

import itertools
import json
import re
import threading
import time
import uuid
from typing import Any

from fakes.base import FakeServer, Reply, Request

COMPLETIONS = "/v1/chat/completions"
_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


def tokens(text: str | None) -> int:
    """The fake's tokenizer: whitespace-separated words."""
    return len(text.split()) if text else 0


def message_text(message: dict) -> str:
    content = message.get("content")
    if isinstance(content, list):  # content parts: only text parts carry words
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    return content or ""


def error(status: int, message: str, type_: str, code: str | None = None, param: str | None = None,
          headers: dict | None = None, delay: float = 0.0) -> Reply:
    return Reply(status, {"error": {"message": message, "type": type_, "param": param, "code": code}},
                 headers=headers or {}, delay=delay)


class OpenAICompatFake(FakeServer):
    def __init__(self, *, port: int = 0, api_key: str = "sk-test-fake", models: tuple[str, ...] = ("gpt-4o-mini", "gpt-4o"),
                 usage: str = "openai", reasoning_tokens: int = 0, latency: float = 0.0):
        self.api_key = api_key
        self.latency = latency  # seconds every answer takes, as a real model's does (benchmarks)
        self.models = tuple(models)
        self.usage_style = usage
        self.reasoning_tokens = reasoning_tokens
        self._answers: list[dict] = []
        self._gate: threading.Event | None = None
        self._ids = itertools.count(1)
        super().__init__(port)
        # Headers and body leave in two writes; without TCP_NODELAY the client's
        # delayed ACK adds ~40 ms to every answer, which a real API does not.
        handler = self.server.RequestHandlerClass
        self.server.RequestHandlerClass = type("NoDelayHandler", (handler,), {"disable_nagle_algorithm": True})

    def setup(self) -> None:
        self.route("POST", COMPLETIONS, self.chat_completion)
        self.route("GET", r"/v1/models", self.list_models)

    # --- what tests script ----------------------------------------------------------

    def answer(self, content: str | dict | list | None = None, *, refusal: str | None = None,
               finish_reason: str | None = None, times: int = 1) -> None:
        """The next answers the model gives: text, or a dict/list sent as JSON text."""
        if isinstance(content, dict | list):
            content = json.dumps(content)
        self._enqueue({"content": content, "refusal": refusal, "finish_reason": finish_reason}, times)

    def fail(self, reply: Reply, times: int = 1) -> None:
        """The next answers are this error (in order with answer(): a test can script
        a good answer, then failures)."""
        self._enqueue(reply, times)

    def _enqueue(self, entry, times: int) -> None:
        with self._lock:
            self._answers.extend([entry] * times)

    def refuse(self, text: str = "I'm sorry, but I can't help with that request.") -> None:
        """A refusal as structured outputs return it: content null, message.refusal set."""
        self.answer(None, refusal=text)

    def rate_limited(self, retry_after: float | None = 1, times: int = 1) -> None:
        headers = {"retry-after": str(retry_after)} if retry_after is not None else {}
        self.fail(error(429, "Rate limit reached for requests per min (RPM): Limit 3, Used 3, Requested 1. "
                             f"Please try again in {retry_after}s.", "requests", "rate_limit_exceeded",
                        headers=headers), times)

    def quota_exhausted(self, times: int = 1) -> None:
        self.fail(error(429, "You exceeded your current quota, please check your plan and billing details.",
                        "insufficient_quota", "insufficient_quota"), times)

    def server_error(self, status: int = 500, times: int = 1) -> None:
        message = ("The server had an error while processing your request. Sorry about that!" if status == 500
                   else "The server is overloaded or not ready yet.")
        self.fail(error(status, message, "server_error"), times)

    def policy_violation(self, code: str = "invalid_prompt", times: int = 1) -> None:
        message = {
            "invalid_prompt": "Invalid prompt: your prompt was flagged as potentially violating our usage policy. "
                              "Please try again with a different prompt: "
                              "https://platform.openai.com/docs/guides/reasoning#advice-on-prompting",
        }.get(code, "Your request was rejected as a result of our safety system.")
        self.fail(error(400, message, "invalid_request_error", code), times)

    def stall(self, seconds: float, times: int = 1) -> None:
        """Answer the next requests only after `seconds` (clients time out first)."""
        self.fail(error(500, "stalled", "server_error", delay=seconds), times)

    def hold(self) -> None:
        """Keep successful answers waiting until release() (for races)."""
        self._gate = threading.Event()

    def release(self) -> None:
        if self._gate:
            self._gate.set()

    def reset(self) -> None:
        """Forget what was received and scripted (one server shared by many tests)."""
        with self._lock:
            self.requests.clear()
            self._scripted.clear()
            self._answers.clear()
        self.release()
        self._gate = None

    def completions(self) -> list[dict]:
        """The request bodies received on /v1/chat/completions, in order."""
        return [r.json for r in self.received("POST", COMPLETIONS)]

    # --- the API ------------------------------------------------------------------------

    def list_models(self, req: Request) -> Reply:
        if (denied := self._auth(req)) is not None:
            return denied
        return Reply(200, {"object": "list", "data": [
            {"id": m, "object": "model", "created": 1700000000, "owned_by": "system"} for m in self.models]})

    def chat_completion(self, req: Request) -> Reply:
        if (denied := self._auth(req)) is not None:
            return denied
        try:
            body = req.json
        except ValueError:
            return error(400, "We could not parse the JSON body of your request.", "invalid_request_error")
        if not isinstance(body, dict):
            return error(400, "We could not parse the JSON body of your request.", "invalid_request_error")
        if not body.get("model"):
            return error(400, "you must provide a model parameter", "invalid_request_error")
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            return error(400, "Missing required parameter: 'messages'.", "invalid_request_error",
                         "missing_required_parameter", "messages")
        if body["model"] not in self.models:
            return error(404, f"The model `{body['model']}` does not exist or you do not have access to it.",
                         "invalid_request_error", "model_not_found")
        if body.get("stream"):
            return error(400, "This fake does not stream.", "invalid_request_error", param="stream")
        schema_problem = self._check_response_format(body.get("response_format"))
        if schema_problem:
            return error(400, schema_problem, "invalid_request_error", param="response_format")

        if self.latency:
            time.sleep(self.latency)
        scripted = self._next_answer()
        if isinstance(scripted, Reply):
            return scripted
        if self._gate is not None:
            self._gate.wait(timeout=60)
        if scripted is None:
            scripted = {"content": self._default_content(body), "refusal": None, "finish_reason": None}
        content, refusal = scripted["content"], scripted["refusal"]
        finish = scripted["finish_reason"] or "stop"
        limit = body.get("max_completion_tokens") or body.get("max_tokens")
        if content is not None and limit is not None and tokens(content) > limit:
            content = " ".join(content.split()[:limit])  # cut where the budget ends, as a model stops
            finish = "length"
        prompt = sum(tokens(message_text(m)) for m in messages if isinstance(m, dict))
        visible = tokens(content) + tokens(refusal)
        reasoning = self.reasoning_tokens
        completion = visible if self.usage_style == "xai" else visible + reasoning
        return Reply(200, {
            "id": f"chatcmpl-{next(self._ids):06d}{uuid.uuid4().hex[:18]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body["model"],
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": refusal, "annotations": []},
                "logprobs": None,
                "finish_reason": finish,
            }],
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + visible + reasoning,
                "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                "completion_tokens_details": {"reasoning_tokens": reasoning, "audio_tokens": 0,
                                              "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0},
            },
            "service_tier": "default",
            "system_fingerprint": "fp_fake",
        }, headers={"x-request-id": f"req_{uuid.uuid4().hex}", "openai-processing-ms": "1"})

    # --- helpers ------------------------------------------------------------------------

    def _auth(self, req: Request) -> Reply | None:
        header = req.headers.get("authorization", "")
        if not header.startswith("Bearer "):
            return error(401, "You didn't provide an API key. You need to provide your API key in an Authorization "
                              "header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
                         "invalid_request_error")
        key = header.removeprefix("Bearer ")
        if key != self.api_key:
            return error(401, f"Incorrect API key provided: {key[:3]}***{key[-4:]}.", "invalid_request_error",
                         "invalid_api_key")
        return None

    def _next_answer(self) -> dict | Reply | None:
        with self._lock:
            return self._answers.pop(0) if self._answers else None

    def _check_response_format(self, fmt: Any) -> str | None:
        if fmt is None:
            return None
        if not isinstance(fmt, dict) or fmt.get("type") not in ("text", "json_object", "json_schema"):
            return "Invalid value for 'response_format.type': expected one of 'text', 'json_object', 'json_schema'."
        if fmt["type"] != "json_schema":
            return None
        spec = fmt.get("json_schema")
        if not isinstance(spec, dict) or not isinstance(spec.get("name"), str) or not _NAME.match(spec["name"]):
            return "Invalid 'response_format.json_schema.name': must match ^[a-zA-Z0-9_-]+$ (at most 64)."
        schema = spec.get("schema")
        if not isinstance(schema, dict):
            return "Missing required parameter: 'response_format.json_schema.schema'."
        if spec.get("strict"):
            problem = _strict_problem(schema, schema)
            if problem:
                return f"Invalid schema for response_format '{spec['name']}': {problem}"
        return None

    def _default_content(self, body: dict) -> str:
        last_user = next((message_text(m) for m in reversed(body["messages"])
                          if isinstance(m, dict) and m.get("role") == "user"), "")
        words = [w for w in re.findall(r"\w+", last_user)] or ["hello"]
        fmt = body.get("response_format") or {}
        if fmt.get("type") == "json_schema":
            schema = fmt["json_schema"]["schema"]
            return json.dumps(_instance(schema, schema, itertools.cycle(words)))
        if fmt.get("type") == "json_object":
            return "{}"
        return "Draft: " + " ".join(words[:20])


def _resolve(node: dict, root: dict) -> dict:
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        for part in ref[2:].split("/"):
            root = root[part]
        return root
    return node


def _strict_problem(node: Any, root: dict, where: str = "()") -> str | None:
    """What OpenAI's strict mode refuses: objects must forbid additional properties
    and require every property."""
    if not isinstance(node, dict):
        return None
    node = _resolve(node, root)
    if node.get("type") == "object" or "properties" in node:
        if node.get("additionalProperties") is not False:
            return f"In context={where}, 'additionalProperties' is required to be supplied and to be false."
        props = node.get("properties", {})
        missing = [k for k in props if k not in (node.get("required") or [])]
        if missing:
            return (f"In context={where}, 'required' is required to be supplied and to be an array including "
                    f"every key in properties. Missing '{missing[0]}'.")
        for key, sub in props.items():
            if problem := _strict_problem(sub, root, f"{where}, 'properties', '{key}'"):
                return problem
    for key in ("items", "anyOf"):
        subs = node.get(key)
        for sub in subs if isinstance(subs, list) else [subs] if subs else []:
            if problem := _strict_problem(sub, root, f"{where}, '{key}'"):
                return problem
    for name, sub in (node.get("$defs") or {}).items():
        if problem := _strict_problem(sub, root, f"{where}, '$defs', '{name}'"):
            return problem
    return None


def _instance(node: dict, root: dict, words) -> Any:
    node = _resolve(node, root)
    if "anyOf" in node:
        return _instance(node["anyOf"][0], root, words)
    kind = node.get("type")
    if "enum" in node:
        return node["enum"][0]
    if kind == "object" or "properties" in node:
        return {k: _instance(v, root, words) for k, v in node.get("properties", {}).items()}
    if kind == "array":
        count = max(node.get("minItems", 0), min(node.get("maxItems", 3), 3))
        return [_instance(node.get("items", {"type": "string"}), root, words) for _ in range(count)]
    if kind in ("integer", "number"):
        return node.get("minimum", 0)
    if kind == "boolean":
        return False
    if kind == "null":
        return None
    return next(words)


if __name__ == "__main__":
    # `python -m fakes.openai_compat [api_key] [port] [openai|xai] [latency_s]` (from tools/):
    # serve until killed, printing the base URL the openai SDK takes (local stack,
    # benchmarks, manual runs). "xai" answers as Grok: its model and usage style;
    # latency_s delays every answer, as a real model's takes time.
    import signal
    import sys

    args = sys.argv[1:] + [None] * 4
    xai = args[2] == "xai"
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})  # threads inherit the mask
    server = OpenAICompatFake(api_key=args[0] or "sk-test-fake", port=int(args[1] or 0), latency=float(args[3] or 0),
                              **({"models": ("grok-4.3",), "usage": "xai"} if xai else {})).start()
    print(f"{server.url}/v1", flush=True)
    signal.sigwait({signal.SIGINT, signal.SIGTERM})
    server.stop()
