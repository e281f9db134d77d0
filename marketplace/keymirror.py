"""A process's own copy of a few small Redis keys, kept exact by Redis' invalidation messages.

Every authenticated request reads three tiny keys (rowcache.py): its token's revocation mark, the
tenants' version and its user's version. Reading them is a Redis round trip per request, 15-20 % of
a search's CPU under load (docs/PERFORMANCE.md). They change rarely (a logout, a settings change, a
suspension), so each process keeps what it read, and Redis itself says when to forget it: server-
assisted client-side caching (https://redis.io/docs/latest/develop/reference/client-side-caching/),
in broadcasting mode.

- Each process opens one listening connection of its own (RESP2), asks for its id, turns tracking
  on for it with `CLIENT TRACKING ON REDIRECT <its own id> BCAST PREFIX ...` and subscribes it to
  `__redis__:invalidate`. From then on, every write, deletion, expiry or eviction of a key under
  those prefixes, by anybody, sends the key's name to that connection (a FLUSHDB/FLUSHALL sends
  "everything").
- A read (`mget`) first takes every message waiting on that connection (a non-blocking read: no
  round trip) and forgets those keys; then it answers from the copy when it has every key, and
  otherwise asks Redis (one MGET, as before) and keeps the answers.
- Why never stale: Redis sends the broadcast invalidations of an event-loop turn before it sends
  that turn's replies (`trackingBroadcastInvalidationMessages` runs first in `beforeSleep`), so when
  a writer's SET returns, the invalidation already sits in every listener's socket buffer on this
  host; a request that comes after the write, in any process, takes it before it reads the copy. A
  value read by an MGET that raced a write is dropped by the next read, which takes the write's
  message; and a thread keeps what its MGET read only if no invalidation arrived since it looked
  (the generation counter), so a message another thread took can never leave a stale value behind.
  Across machines (API nodes apart from Redis), the message and the writer's reply travel separate
  TCP connections: a request that follows a write within one network latency may still see the
  previous value (docs/SCALING.md).
- When it is not sure, it does not use the copy: the listening connection broken (Redis restarted,
  the client killed, a read failing) forgets everything and reads from Redis on every call, trying
  to listen again after `retry_seconds`; every `check_seconds` the listener is pinged (the answer
  comes after every message sent before it), so even a connection that died silently is noticed
  within that time; a forked child never uses its parent's listener; a Redis that refuses
  `CLIENT TRACKING` (before 6.0, or a managed one that forbids it) leaves every read going to Redis;
  a read through another client (another server) than the listener's starts over.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from redis import Redis
from redis.connection import AbstractConnection
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

INVALIDATION_CHANNEL = "__redis__:invalidate"
MAX_ENTRIES = 100_000  # past that, the copy starts over


class KeyMirror:
    """Keys under `prefixes`, as last read from Redis, forgotten when Redis says they changed."""

    def __init__(
        self,
        prefixes: tuple[str, ...],
        *,
        check_seconds: float = 1.0,
        retry_seconds: float = 5.0,
        max_entries: int = MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.prefixes = prefixes
        self.check_seconds = check_seconds
        self.retry_seconds = retry_seconds
        self.max_entries = max_entries
        self._clock = clock
        self._values: dict[str, bytes | None] = {}
        self._generation = 0  # counts the invalidations taken: a value read across one is not kept
        self._listener: AbstractConnection | None = None
        self._pool: Any = None  # the connection pool the listener was opened for (its server)
        self._pid = 0
        self._retry_at = 0.0
        self._check_at = 0.0
        self._lock = threading.Lock()  # gthread workers share one mirror per process

    @property
    def listening(self) -> bool:
        """True while the copy is in use (this process's listener is connected and tracking)."""
        return self._listener is not None and self._pid == os.getpid()

    def mget(self, client: Redis, keys: list[str]) -> list[bytes | None]:
        """The values of `keys` (each under one of the prefixes), from the copy when it is exact.

        Raises RedisError when Redis must be asked and does not answer, like `client.mget`.
        """
        with self._lock:
            generation = self._refresh(client)
            if generation is not None:
                values = self._values
                if all(key in values for key in keys):
                    return [values[key] for key in keys]
        read: list[bytes | None] = client.mget(keys)
        if generation is not None:
            with self._lock:
                if self._generation == generation and self.listening:
                    if len(self._values) + len(keys) > self.max_entries:
                        self._values = {}
                    self._values.update(zip(keys, read, strict=True))
        return read

    def close(self) -> None:
        """Stop listening and forget everything (the next read tries to listen again)."""
        with self._lock:
            self._stop(retry=False)

    def _refresh(self, client: Redis) -> int | None:
        """Take the waiting invalidations; the generation to read under, or None when not listening."""
        if self._pid != os.getpid():
            self._listener = None  # a forked child never reads its parent's connection
            self._values = {}
            self._pid = os.getpid()
            self._retry_at = 0.0
        if self._pool is not client.connection_pool:
            self._stop(retry=False)  # another server (or client) now: what the copy holds is not its
            self._pool = client.connection_pool
        if self._listener is None:
            if self._clock() < self._retry_at:
                return None
            self._listen(client)
            if self._listener is None:
                return None
        try:
            if self._clock() >= self._check_at:
                self._ping(self._listener)
            else:
                self._take_waiting(self._listener)
        except (RedisError, OSError, ValueError) as error:
            log.warning("key mirror: listener lost (%s); reading Redis directly", type(error).__name__)
            self._stop(retry=True)
            return None
        return self._generation

    def _listen(self, client: Redis) -> None:
        """Open this process's listener: its own id as the redirect, broadcasting mode, subscribed."""
        pool = client.connection_pool
        # RESP2 whatever the client speaks: invalidations then arrive as pub/sub messages, which the
        # reads below take as they come (RESP3 would send them as pushes, and PING answers differently).
        connection = pool.connection_class(**{**pool.connection_kwargs, "protocol": 2})
        try:
            connection.connect()
            connection.send_command("CLIENT", "ID")
            own_id = connection.read_response()
            prefixes = [part for prefix in self.prefixes for part in ("PREFIX", prefix)]
            connection.send_command("CLIENT", "TRACKING", "ON", "REDIRECT", own_id, "BCAST", *prefixes)
            connection.read_response()
            connection.send_command("SUBSCRIBE", INVALIDATION_CHANNEL)
            connection.read_response()
        except (RedisError, OSError) as error:
            log.warning("key mirror: not listening (%s); reading Redis directly", error)
            connection.disconnect()
            self._retry_at = self._clock() + self.retry_seconds
            return
        self._listener = connection
        self._values = {}
        self._generation += 1
        self._check_at = self._clock() + self.check_seconds

    def _take_waiting(self, listener: AbstractConnection) -> None:
        """Apply every message already received, without waiting for more."""
        while listener.can_read(timeout=0):
            self._apply(listener.read_response())

    def _ping(self, listener: AbstractConnection) -> None:
        """Ping the listener and apply every message up to its answer (all sent before the PING)."""
        listener.send_command("PING")
        deadline = self._clock() + 1.0
        while True:
            remaining = deadline - self._clock()
            if remaining <= 0 or not listener.can_read(timeout=remaining):
                raise TimeoutError("the listener did not answer its ping")
            message = listener.read_response()
            if isinstance(message, list) and message and message[0] == b"pong":
                break
            self._apply(message)
        self._check_at = self._clock() + self.check_seconds

    def _apply(self, message: Any) -> None:
        """Forget what an invalidation message names (None: everything)."""
        if not (isinstance(message, list) and len(message) == 3 and message[0] == b"message"):
            return
        self._generation += 1
        keys = message[2]
        if keys is None:
            self._values = {}
            return
        for key in keys:
            self._values.pop(key.decode() if isinstance(key, bytes) else key, None)

    def _stop(self, *, retry: bool) -> None:
        listener, self._listener = self._listener, None
        self._values = {}
        self._generation += 1
        self._retry_at = self._clock() + self.retry_seconds if retry else 0.0
        if listener is not None and self._pid == os.getpid():
            try:
                listener.disconnect()
            except (RedisError, OSError):
                log.debug("key mirror: closing the listener failed", exc_info=True)
