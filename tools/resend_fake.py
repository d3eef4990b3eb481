"""A loopback stand-in for the Resend email API (nothing may leave this machine).

It answers what the `resend` SDK calls, in Resend's documented shapes
(resend.com/docs/api-reference): POST /emails -> 200 {"id": ...}; errors as
{"statusCode", "name", "message"} (401 missing_api_key, 422 validation_error /
missing_required_field, 409 invalid_idempotent_request, 429 rate_limit_exceeded);
an Idempotency-Key repeated with the same payload returns the first response and
sends nothing new. Test-only extras under /_fake/: the outbox and injected failures.

Run alone (`make dev` does): python tools/resend_fake.py PORT
"""

import json
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class ResendFake:
    def __init__(self, port: int = 0, echo: bool = False):
        self.outbox: list[dict] = []
        self.failures: list[int] = []
        self._idem: dict[str, tuple[str, dict]] = {}
        self._lock = threading.Lock()
        self.echo = echo
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _reply(self, status: int, body) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _error(self, status: int, name: str, message: str) -> None:
                self._reply(status, {"statusCode": status, "name": name, "message": message})

            def do_GET(self):
                if self.path == "/_fake/outbox":
                    with fake._lock:
                        return self._reply(200, list(fake.outbox))
                self._error(404, "not_found", "The requested endpoint does not exist.")

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if self.path == "/_fake/fail":
                    fake.fail_next(*json.loads(raw or b"[]"))
                    return self._reply(200, {})
                if self.path != "/emails":
                    return self._error(404, "not_found", "The requested endpoint does not exist.")
                auth = self.headers.get("Authorization", "")
                if not auth.startswith("Bearer ") or not auth[7:].strip():
                    return self._error(401, "missing_api_key", "Missing API key in the authorization header.")
                with fake._lock:
                    injected = fake.failures.pop(0) if fake.failures else None
                if injected == 429:
                    return self._error(429, "rate_limit_exceeded", "Too many requests. Please limit the number of requests per second.")
                if injected:
                    return self._error(injected, "application_error", "An unexpected error occurred, please try again later.")
                try:
                    payload = json.loads(raw)
                except ValueError:
                    return self._error(422, "validation_error", "Invalid JSON body.")
                missing = [f for f in ("from", "to", "subject") if not payload.get(f)]
                if missing:
                    return self._error(422, "missing_required_field", f"Missing `{missing[0]}` field.")
                if not (payload.get("text") or payload.get("html")):
                    return self._error(422, "validation_error", "Missing `html` or `text` field.")
                key = self.headers.get("Idempotency-Key")
                with fake._lock:
                    if key is not None:
                        if not 1 <= len(key) <= 256:
                            return self._error(400, "invalid_idempotency_key", "The key must be between 1-256 chars.")
                        if key in fake._idem:
                            first_id, first_payload = fake._idem[key]
                            if first_payload != payload:
                                return self._error(409, "invalid_idempotent_request", "Same idempotency key used with a different request payload.")
                            return self._reply(200, {"id": first_id})
                    email_id = str(uuid.uuid4())
                    if key is not None:
                        fake._idem[key] = (email_id, payload)
                    fake.outbox.append({"id": email_id, "idempotencyKey": key, **payload})
                if fake.echo:
                    print(f"[email] to={payload['to']} subject={payload['subject']!r}", flush=True)
                self._reply(200, {"id": email_id})

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> "ResendFake":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def fail_next(self, *statuses: int) -> None:
        with self._lock:
            self.failures.extend(statuses)

    def sent_to(self, address: str) -> list[dict]:
        with self._lock:
            return [m for m in self.outbox if address in m["to"]]


if __name__ == "__main__":
    fake = ResendFake(int(sys.argv[1]) if len(sys.argv) > 1 else 9300, echo=True).start()
    print(f"resend fake ready: {fake.url}", flush=True)
    threading.Event().wait()
