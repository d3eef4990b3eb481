"""One family of domain errors. Handlers raise these; the edge (core.edge) maps
them to HttpsError codes, so no handler imports firebase_functions.https_fn."""


class PostrError(Exception):
    """An error the caller can act on; `message` is shown to a person."""

    code = "internal"

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


class Unavailable(PostrError):
    code = "unavailable"


class Internal(PostrError):
    code = "internal"
