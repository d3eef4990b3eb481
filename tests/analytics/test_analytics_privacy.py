"""Metrics are the person's data: exported (without the collector's bookkeeping)
and purged with content, both read from the declaration in kernel/collections.py."""

import io
import json
import zipfile

from analytics import collect as analytics_collect
from kernel import clock
from kernel.collections import USER_DATA
from privacy import export as privacy_export, retention


def test_metrics_are_declared_for_export_and_the_content_purge():
    assert {"metrics", "metricTargets"} <= set(retention.content_collections())
    assert USER_DATA["metrics"].export and USER_DATA["metricTargets"].export


def test_the_export_holds_the_numbers_not_the_bookkeeping(epoch, uid, connect, seed_post, x_fake, x_tokens, x_post):
    import datetime as _dt

    tokens = x_tokens()
    account = connect(uid, "x", tokens)
    seed_post(uid, {account: ("x", x_post(tokens, like_count=7), epoch)})
    at = epoch + _dt.timedelta(hours=1)
    with clock.frozen(at):
        analytics_collect.run(at)

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in ("metrics", "metricTargets"):
            privacy_export._write_collection(archive, uid, name, USER_DATA[name])
    with zipfile.ZipFile(buffer) as archive:
        (snapshot,) = json.loads(archive.read("metrics.json"))
        (target,) = json.loads(archive.read("metricTargets.json"))
    assert snapshot["likes"] == 7 and snapshot["checkpoint"] == "1h"
    assert target["latest"]["likes"] == 7
    assert not {"failures", "nextDueAt", "state"} & set(target)
