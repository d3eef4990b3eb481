"""Constants and readers shared by the privacy tests."""

import hashlib
import io
import urllib.parse
import zipfile

PRICES = {"pro": "price_pro_privacy", "business": "price_business_privacy"}
API_KEY = "sk_test_postr_privacy"
SIGNER_EMAIL = "export-links@demo-postr.iam.gserviceaccount.com"


def owned(db, collection: str, uid: str) -> list:
    from google.cloud.firestore import FieldFilter

    return list(db.collection(collection).where(filter=FieldFilter("uid", "==", uid)).stream())


def media_names(uid: str, prefix: str = "users/{uid}/media/") -> list[str]:
    from kernel import cloud

    return sorted(b.name for b in cloud.storage_client().list_blobs(cloud.bucket(), prefix=prefix.format(uid=uid)))


def error_status(body: dict) -> str:
    return body["error"]["status"]


def verify_v4_url(url: str, public_key) -> dict:
    """Check a V4 signed URL the way Cloud Storage does (the documented canonical
    request and string to sign, then the RSA signature); returns its parts.
    https://cloud.google.com/storage/docs/access-control/signing-urls-manually"""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    parts = urllib.parse.urlsplit(url)
    params = dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
    signature = params.pop("X-Goog-Signature")
    quote = lambda s: urllib.parse.quote(s, safe="-_.~")  # noqa: E731 (RFC 3986 unreserved)
    canonical_query = "&".join(f"{quote(k)}={quote(v)}" for k, v in sorted(params.items()))
    assert params["X-Goog-SignedHeaders"] == "host"
    canonical_request = "\n".join(["GET", parts.path, canonical_query, f"host:{parts.netloc}", "", "host",
                                   "UNSIGNED-PAYLOAD"])
    email, scope = params["X-Goog-Credential"].split("/", 1)
    string_to_sign = "\n".join(["GOOG4-RSA-SHA256", params["X-Goog-Date"], scope,
                                hashlib.sha256(canonical_request.encode()).hexdigest()])
    public_key.verify(bytes.fromhex(signature), string_to_sign.encode(), padding.PKCS1v15(), hashes.SHA256())
    return {"path": urllib.parse.unquote(parts.path), "email": email, "expires": int(params["X-Goog-Expires"]),
            "date": params["X-Goog-Date"], "params": params}


def open_zip(data: bytes) -> zipfile.ZipFile:
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None  # every member's CRC checks out
    return archive
