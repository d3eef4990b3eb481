"""Constants and readers shared by the billing tests."""

PRICES = {"pro": "price_pro_test", "business": "price_business_test"}
API_KEY = "sk_test_postr_billing"
WEBHOOK_SECRET = "whsec_postr_billing_tests"
SIGN = object()  # deliver(): sign the payload with WEBHOOK_SECRET


def sign(payload: str, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    import stripe

    return stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp)


def profile(db, uid: str) -> dict:
    return db.collection("users").document(uid).get().to_dict()


def plan_claim(uid: str) -> str | None:
    from firebase_admin import auth

    return (auth.get_user(uid).custom_claims or {}).get("plan")


def owned(db, collection: str, uid: str) -> list[dict]:
    from google.cloud.firestore import FieldFilter

    return [d.to_dict() for d in db.collection(collection).where(filter=FieldFilter("uid", "==", uid)).stream()]


def billing_state(db, uid: str) -> dict:
    """Everything billing may write for a person, with write times, to show that nothing changed."""
    def docs(collection):
        from google.cloud.firestore import FieldFilter

        snaps = db.collection(collection).where(filter=FieldFilter("uid", "==", uid)).stream()
        return sorted((s.id, s.update_time, repr(sorted(s.to_dict().items()))) for s in snaps)

    user = db.collection("users").document(uid).get()
    return {
        "user": (user.update_time, repr(sorted(user.to_dict().items()))),
        **{c: docs(c) for c in ("billingCustomers", "subscriptions", "billingEvents", "notifications")},
    }
