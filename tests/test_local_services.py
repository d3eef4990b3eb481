"""The local Cloud Storage and Cloud Tasks services the harness starts, used through
the real google-cloud clients exactly as production code will use them."""

import datetime as dt
import os
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from kernel import cloud


def test_storage_round_trip_streams_in_chunks(stack):
    blob = cloud.bucket().blob(f"users/u1/media/{uuid.uuid4().hex}.bin")
    blob.chunk_size = 256 * 1024  # a resumable upload, never the whole file in memory
    data = os.urandom(3 * 256 * 1024 + 17)
    blob.upload_from_string(data, content_type="application/octet-stream")
    again = cloud.bucket().blob(blob.name)
    assert again.download_as_bytes() == data
    assert again.download_as_bytes(start=10, end=19) == data[10:20]
    assert [b.name for b in cloud.storage_client().list_blobs(cloud.bucket(), prefix="users/u1/media/")].count(blob.name) == 1


def test_a_named_task_is_delivered_at_its_time_not_before(stack):
    from google.cloud import tasks_v2
    from google.protobuf import timestamp_pb2

    arrived: list[tuple[float, bytes, str]] = []

    class Receiver(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            arrived.append((time.time(), body, self.headers.get("X-CloudTasks-TaskName", "")))
            self.send_response(200)
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        client = cloud.tasks_client()
        queue = cloud.queue_path(f"test-{uuid.uuid4().hex[:8]}")
        parent = queue.rsplit("/queues/", 1)[0]
        client.create_queue(parent=parent, queue=tasks_v2.Queue(name=queue))
        due = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=2)
        ts = timestamp_pb2.Timestamp()
        ts.FromDatetime(due)
        name = f"{queue}/tasks/post-abc-v1"
        client.create_task(parent=queue, task=tasks_v2.Task(
            name=name,
            schedule_time=ts,
            http_request=tasks_v2.HttpRequest(
                http_method=tasks_v2.HttpMethod.POST,
                url=f"http://127.0.0.1:{server.server_address[1]}/publish",
                headers={"Content-Type": "application/json"},
                body=b'{"postId": "abc"}',
            ),
        ))
        deadline = time.time() + 30
        while not arrived and time.time() < deadline:
            time.sleep(0.05)
        assert arrived, "the task was never delivered"
        when, body, _ = arrived[0]
        assert body == b'{"postId": "abc"}'
        assert when >= due.timestamp()
    finally:
        server.shutdown()
