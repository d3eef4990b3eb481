"""Count the requests the code under measure sends to Firestore and Cloud Tasks.

`install()` wraps every gRPC channel the process opens to an emulator (the
Firestore client's emulator channel and kernel.cloud's Cloud Tasks channel both
come from grpc.insecure_channel) with a client interceptor that records each
call: its method, when it started and ended, the documents it returned (RunQuery,
BatchGetDocuments) and the writes it carried (Commit, BatchWrite). The emulator
answers queries by scanning, so its timings say little about production;
these counts say the same thing on the emulator as on Firestore.
"""

import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import grpc


@dataclass
class Call:
    method: str  # e.g. "Firestore/Commit", "CloudTasks/CreateTask"
    started: float
    ended: float = 0.0
    documents: int = 0
    writes: int = 0


@dataclass
class Recorder:
    calls: list[Call] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def clear(self) -> None:
        with self._lock:
            self.calls.clear()

    def snapshot(self) -> list[Call]:
        with self._lock:
            return list(self.calls)

    def add(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)


RECORDER = Recorder()


def _has(message, name: str) -> bool:
    pb = getattr(type(message), "pb", None)
    raw = pb(message) if pb else message
    return raw.HasField(name)


class _Counted:
    """A streaming call whose responses are counted as they are read."""

    def __init__(self, wrapped, call: Call, field_name: str):
        self._wrapped, self._call, self._field = wrapped, call, field_name

    def __iter__(self):
        return self

    def __next__(self):
        try:
            response = next(self._wrapped)
        except StopIteration:
            self._call.ended = time.perf_counter()
            raise
        if _has(response, self._field):
            self._call.documents += 1
        self._call.ended = time.perf_counter()
        return response

    def __getattr__(self, name):
        return getattr(self._wrapped, name)


STREAM_DOCUMENT_FIELD = {"Firestore/RunQuery": "document", "Firestore/BatchGetDocuments": "found"}


class _Interceptor(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor):
    def intercept_unary_unary(self, continuation, details, request):
        call = Call(_name(details.method), time.perf_counter())
        if hasattr(request, "writes"):
            call.writes = len(request.writes)
        RECORDER.add(call)
        outcome = continuation(details, request)
        try:
            outcome.result()  # wait, so the end time is the answer's
        except Exception:  # the caller sees the error from the outcome, as without us
            pass
        call.ended = time.perf_counter()
        return outcome

    def intercept_unary_stream(self, continuation, details, request):
        call = Call(_name(details.method), time.perf_counter())
        RECORDER.add(call)
        wrapped = continuation(details, request)
        field_name = STREAM_DOCUMENT_FIELD.get(call.method)
        return _Counted(wrapped, call, field_name) if field_name else wrapped


def _name(method: str) -> str:
    # "/google.firestore.v1.Firestore/Commit" -> "Firestore/Commit"
    service, rpc = method.strip("/").split("/")
    return f"{service.rsplit('.', 1)[-1]}/{rpc}"


def install() -> Recorder:
    """From now on, every insecure (emulator) channel this process opens is counted."""
    if getattr(grpc.insecure_channel, "_counted", False):
        return RECORDER
    real = grpc.insecure_channel

    def counted(*args, **kwargs):
        return grpc.intercept_channel(real(*args, **kwargs), _Interceptor())

    counted._counted = True
    grpc.insecure_channel = counted
    return RECORDER


def summary(calls: list[Call], service: str = "Firestore") -> dict:
    """Requests by method, documents read and written, and sequential round trips
    (calls that overlap in time count as one: they wait together)."""
    mine = [c for c in calls if c.method.startswith(service + "/")]
    spans = sorted((c.started, c.ended or c.started) for c in mine)
    rounds, end, waited, opened = 0, float("-inf"), 0.0, 0.0
    for start, stop in spans:
        if start >= end:
            if rounds:
                waited += end - opened
            rounds, opened, end = rounds + 1, start, stop
        else:
            end = max(end, stop)
    if rounds:
        waited += end - opened
    return {"requests": len(mine), "byMethod": dict(Counter(c.method for c in mine)),
            "read": sum(c.documents for c in mine), "written": sum(c.writes for c in mine),
            "roundTrips": rounds, "waitedS": waited}
