"""A gateway worker's reply stream outlives it by one TTL, not forever (real Redis)."""

from __future__ import annotations

import asyncio

from vectimus.core.bus.redis import RedisBus
from vectimus.gateway.replies import ReplyRouter


async def test_a_dead_workers_reply_stream_expires(redis_url: str) -> None:
    bus = RedisBus.from_url(redis_url)
    stream = "vectimus:reply:expiry-test"
    router = ReplyRouter(bus, stream, ttl_s=1.0)
    try:
        router.start()
        await asyncio.sleep(0.1)
        await bus.publish(stream, b"not a reply")  # the first reply creates the stream
        for _ in range(100):
            [ttl_ms] = await bus.execute([("PTTL", stream)])
            if ttl_ms > 0:
                break
            await asyncio.sleep(0.05)
        assert 0 < ttl_ms <= 1000, "the live worker keeps an expiry on its stream"
        await router.stop()  # the worker is gone: nobody refreshes the expiry
        await asyncio.sleep(1.3)
        assert await bus.execute([("EXISTS", stream)]) == [0]
    finally:
        await router.stop()
        await bus.close()
