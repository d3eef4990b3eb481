"""One family of domain errors. Handlers raise these; the edge (handlers.edge) maps
them to HttpsError codes, so no handler imports firebase_functions.https_fn."""


class PostrError(Exception):
    """An error the caller can act on; `message` is shown to a person."""

    code = "internal"
    # A provider answer behind the error that was billed all the same (ai.providers.Billed).
    billed = None

    def __init__(self, message: str, details: dict | None = None):
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidArgument(PostrError):
    code = "invalid-argument"


class Unauthenticated(PostrError):
    code = "unauthenticated"


class PermissionDenied(PostrError):
    code = "permission-denied"


class NotFound(PostrError):
    code = "not-found"


class AlreadyExists(PostrError):
    code = "already-exists"


class FailedPrecondition(PostrError):
    code = "failed-precondition"


class ResourceExhausted(PostrError):
    code = "resource-exhausted"


class Aborted(PostrError):
    """A write that lost to concurrent writes on the same data: nothing was written; try again."""

    code = "aborted"


class Unavailable(PostrError):
    code = "unavailable"


class Internal(PostrError):
    code = "internal"


CONTENDED = ("Too many changes reached this at the same moment, so nothing was changed. "
             "Please try again in a moment.")


def from_store(exc: BaseException) -> PostrError | None:
    """The one table from the Google client libraries' transient errors (Firestore,
    Cloud Tasks, Storage) to errors a person can act on; None for anything else.
    Every one of them left nothing written by the failed request."""
    from google.api_core import exceptions as google

    if isinstance(exc, google.Aborted):
        return Aborted(CONTENDED, {"retryable": True})
    if isinstance(exc, google.ServiceUnavailable | google.DeadlineExceeded | google.TooManyRequests):
        return Unavailable("Our database is busy right now, so nothing was changed. Please try again in a moment.",
                           {"retryable": True})
    return None
