"""A large video is streamed to TikTok with bounded memory (issue 4).

About 200 MB is generated on the fly (never held as one bytes object), sent
through the TikTok module's FILE_UPLOAD to the fake, which hashes what it
receives and keeps none of it. The peak memory the process allocates during
the publish (tracemalloc, every thread, the fake's included) must stay far
below the file's size, and TikTok must have received every byte in order.
A correctness bound, not a timing one."""

import hashlib
import tracemalloc

import pytest

from fakes.tiktok import TikTokFake
from platforms import tiktok
from platforms.base import Media, PostContent, Tokens

MB = 1024 * 1024
SIZE = 200 * MB + 12_345  # 20 chunks; the last one carries the odd bytes
BOUND = 64 * MB


def generated(size: int):
    """A Media whose bytes are made as they are read, 64 KB at a time from
    SHAKE-128 of a block counter, so every region of the file differs."""

    def chunks(piece: int):
        made = 0
        block = 0
        buffer = bytearray()
        while made < size:
            while len(buffer) < piece and made + len(buffer) < size:
                buffer += hashlib.shake_128(block.to_bytes(8, "big")).digest(64 * 1024)
                block += 1
            take = min(piece, size - made, len(buffer))
            yield bytes(buffer[:take])
            del buffer[:take]
            made += take

    return Media(kind="video", mime_type="video/mp4", size=size, width=1080, height=1920, duration_s=60.0,
                 chunks=chunks)


def digest_of(media: Media) -> str:
    h = hashlib.sha256()
    for piece in media.chunks(MB):
        h.update(piece)
    return h.hexdigest()


@pytest.fixture
def fake(fake_env):
    with TikTokFake() as server:
        fake_env(TIKTOK_API_URL=server.url)
        yield server


def test_a_200_mb_video_is_streamed_with_bounded_memory(fake):
    granted = fake.grant()
    tokens = Tokens(access_token=granted["access_token"], scopes=granted["scope"].split(","))
    media = generated(SIZE)
    expected = digest_of(media)
    platform = tiktok.TikTokPlatform(sleep=lambda s: None)
    content = PostContent(text="a long one", media=[media],
                          options={"privacy_level": "SELF_ONLY", "source": "FILE_UPLOAD"})

    tracemalloc.start()
    try:
        baseline, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        published = platform.publish(tokens, content)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert peak - baseline < BOUND, f"peak {(peak - baseline) / MB:.1f} MB while sending {SIZE / MB:.0f} MB"
    publish_id = next(iter(fake.publishes))
    assert published.post_id == publish_id  # a private post: TikTok gives no public id
    received, digest, puts = fake.upload_of(publish_id)
    assert (received, digest) == (SIZE, expected)
    assert puts == 20  # 10 MB chunks, the last with the odd bytes
