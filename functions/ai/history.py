"""The person's AI history (policy 2.4): each request's prompt (brief, text,
instruction) and what came back, kept as their content: shown to them, exported
with their data and purged with it (kernel.collections.USER_DATA).

Pages run newest first by creation time, then document id (so no two entries
tie), with a query cursor: the page token is the last entry's creation time in
fixed-width ISO form and its id.
"""

import datetime as _dt
import re

from kernel import db
from kernel.collections import AI_HISTORY

CURSOR = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z_[0-9A-Za-z]{20}$")


def new_entry(uid: str, *, feature: str, model: str, created: _dt.datetime, input: dict, output: dict,
              usage: dict) -> tuple:
    """A history document and its reference, to be written by the caller (in the
    commit that charges the call, where it can)."""
    ref = db.client().collection(AI_HISTORY).document()
    return ref, {"uid": uid, "feature": feature, "model": model, "createdAt": created, "input": input,
                 "output": output, "usage": usage}


def _token(created: _dt.datetime, doc_id: str) -> str:
    return f"{created.astimezone(_dt.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.%fZ')}_{doc_id}"


def _position(token: str) -> list:
    stamp, doc_id = token.rsplit("_", 1)
    return [_dt.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=_dt.timezone.utc), doc_id]


def page(uid: str, *, limit: int, before: str | None, feature: str | None) -> dict:
    from google.cloud import firestore
    from google.cloud.firestore_v1.base_query import FieldFilter
    from google.cloud.firestore_v1.field_path import FieldPath

    query = db.client().collection(AI_HISTORY).where(filter=FieldFilter("uid", "==", uid))
    if feature:
        query = query.where(filter=FieldFilter("feature", "==", feature))
    query = (query.order_by("createdAt", direction=firestore.Query.DESCENDING)
             .order_by(FieldPath.document_id(), direction=firestore.Query.DESCENDING))
    if before:
        query = query.start_after(_position(before))
    docs = list(query.limit(limit).stream())
    items = [view(d.id, d.to_dict()) for d in docs]
    more = len(docs) == limit
    return {"items": items, "nextCursor": _token(docs[-1].get("createdAt"), docs[-1].id) if more else None}


def view(doc_id: str, data: dict) -> dict:
    return {"id": doc_id, "feature": data["feature"], "model": data["model"], "createdAt": data["createdAt"],
            "input": data.get("input", {}), "output": data.get("output", {}), "usage": data.get("usage", {})}
