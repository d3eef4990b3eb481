"""Short-lived V4 signed download links for objects only the server can read
(export archives): the link names one object, GET only, and expires.

Signing needs a key. Where the runtime's credentials hold one (a service account
key, GOOGLE_APPLICATION_CREDENTIALS) it signs locally; on Cloud Functions the
runtime service account has no key, so google-cloud-storage signs through the
IAM signBlob API with an access token (the account needs
roles/iam.serviceAccountTokenCreator on itself).
"""

import datetime as _dt

from kernel import clock, log


class SigningUnavailable(Exception):
    """No credentials that can sign here."""


def signing_credentials():
    """The credentials to sign with (tests replace this with a generated key)."""
    import google.auth
    from google.auth.exceptions import DefaultCredentialsError

    try:
        credentials, _ = google.auth.default(scopes=["https://www.googleapis.com/auth/cloud-platform"])
    except DefaultCredentialsError as exc:
        raise SigningUnavailable("no application default credentials") from exc
    return credentials


def signed_download(object_name: str, minutes: int) -> tuple[str, _dt.datetime]:
    """A GET link to one object of the bucket, valid `minutes`; and when it expires."""
    from google.auth import credentials as auth_credentials

    from kernel import cloud

    credentials = signing_credentials()
    if isinstance(credentials, auth_credentials.Signing):
        how = {"credentials": credentials}
    else:
        try:
            from google.auth.transport.requests import Request

            credentials.refresh(Request())
            how = {"service_account_email": credentials.service_account_email, "access_token": credentials.token}
        except Exception as exc:
            log.error("privacy: cannot sign download links", error=type(exc).__name__)
            raise SigningUnavailable(type(exc).__name__) from exc
    lifetime = _dt.timedelta(minutes=minutes)
    url = cloud.bucket().blob(object_name).generate_signed_url(
        version="v4", expiration=lifetime, method="GET", **how)
    return url, clock.now() + lifetime
