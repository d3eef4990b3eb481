"""The person's AI history (policy 2.4): each request's prompt (brief, text,
instruction) and what came back, kept as their content: shown to them, exported
with their data and purged with it (core.collections.USER_DATA).

Pages run newest first on `sortKey` (the creation time in fixed-width ISO form,
then the document id, so no two entries tie) with a range filter, not a query
cursor, which every Firestore this code meets honours.
"""

import datetime as _dt
import re

from core import db
from core.collections import AI_HISTORY

CURSOR = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z_[0-9A-Za-z]{20}$")


def new_entry(uid: str, *, feature: str, model: str, created: _dt.datetime, input: dict, output: dict,
              usage: dict) -> tuple:
    """A history document and its reference, to be written by the caller (in the
    commit that charges the call, where it can)."""
    ref = db.client().collection(AI_HISTORY).document()
    stamp = created.astimezone(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return ref, {"uid": uid, "feature": feature, "model": model, "createdAt": created,
                 "sortKey": f"{stamp}_{ref.id}", "input": input, "output": output, "usage": usage}


def page(uid: str, *, limit: int, before: str | None, feature: str | None) -> dict:
    from google.cloud import firestore
    from google.cloud.firestore_v1.base_query import FieldFilter

    query = db.client().collection(AI_HISTORY).where(filter=FieldFilter("uid", "==", uid))
    if feature:
        query = query.where(filter=FieldFilter("feature", "==", feature))
    if before:
        query = query.where(filter=FieldFilter("sortKey", "<", before))
    docs = list(query.order_by("sortKey", direction=firestore.Query.DESCENDING).limit(limit).stream())
    items = [view(d.id, d.to_dict()) for d in docs]
    return {"items": items, "nextCursor": docs[-1].get("sortKey") if len(docs) == limit else None}


def view(doc_id: str, data: dict) -> dict:
    return {"id": doc_id, "feature": data["feature"], "model": data["model"], "createdAt": data["createdAt"],
            "input": data.get("input", {}), "output": data.get("output", {}), "usage": data.get("usage", {})}
