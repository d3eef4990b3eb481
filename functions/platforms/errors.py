"""One small error taxonomy for every network. Each platform module maps its
network's error bodies and statuses onto these; callers (publishing, connected
accounts, analytics) act on the class alone:

- AuthExpired: the token is expired or revoked; refresh once, else reconnect.
- RateLimited: wait `retry_after` seconds (None: the network did not say).
- Transient: retry with backoff (5xx, timeouts before the request was sent).
- Permanent: will fail again as it is; `message` tells the person why.
- OutcomeUnknown: a non-idempotent request (a publish) was sent and no answer
  came back; it may or may not have happened, so it must not be retried blindly.
- PartlyPublished: the first post is out and a later part (a thread reply, the
  first comment) is not. `published` says what went out, `cause` (one of the
  above) why the rest did not; what is out is recorded, never sent again. Every
  network reports a partial publish this way (Bluesky takes back what it posted
  instead, so its failures leave nothing and raise the cause alone).

`message` is always readable by a person; `detail` keeps the network's own
code or text for logs (never a token).
"""


class PlatformError(Exception):
    def __init__(self, network: str, message: str, *, status: int | None = None, detail: str | None = None):
        super().__init__(f"{network}: {message}")
        self.network = network
        self.message = message
        self.status = status
        self.detail = detail


class AuthExpired(PlatformError):
    pass


class RateLimited(PlatformError):
    def __init__(self, network: str, message: str, *, retry_after: float | None = None, **kw):
        super().__init__(network, message, **kw)
        self.retry_after = retry_after


class Transient(PlatformError):
    pass


class Permanent(PlatformError):
    pass


class OutcomeUnknown(PlatformError):
    pass


class PartlyPublished(PlatformError):
    def __init__(self, published, cause: PlatformError):
        super().__init__(cause.network, cause.message, status=cause.status, detail=cause.detail)
        self.published = published  # platforms.base.Published: what went out
        self.cause = cause
