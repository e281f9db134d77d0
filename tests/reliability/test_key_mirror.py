"""The process's copy of version tokens and revocation marks (marketplace/keymirror.py), on a real Redis.

A warm read asks Redis nothing; any change by anybody (a write, a deletion, an expiry, a flush) is seen
by the very next read, with no waiting; a broken listener, a Redis that refuses tracking, another
server or a forked child never answer from a copy that may be out of date.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator

import pytest
from redis import Redis

from marketplace.keymirror import KeyMirror
from tests.conftest import REDIS_URL

PREFIX = f"mirror-test:{uuid.uuid4().hex[:8]}:"


@pytest.fixture
def redis_db() -> Iterator[Redis]:
    client = Redis.from_url(REDIS_URL)
    yield client
    for key in client.scan_iter(f"{PREFIX}*"):
        client.delete(key)


@pytest.fixture
def mirror() -> Iterator[KeyMirror]:
    found = KeyMirror((PREFIX,))
    yield found
    found.close()


def mgets(client: Redis) -> int:
    """How many MGETs the Redis server has run so far (all clients)."""
    return int(client.info("commandstats").get("cmdstat_mget", {}).get("calls", 0))


def key(name: str) -> str:
    return f"{PREFIX}{name}"


def test_a_warm_read_asks_redis_nothing(redis_db: Redis, mirror: KeyMirror) -> None:
    redis_db.set(key("a"), b"1")
    assert mirror.mget(redis_db, [key("a"), key("absent")]) == [b"1", None]
    assert mirror.listening
    before = mgets(redis_db)
    for _ in range(20):
        assert mirror.mget(redis_db, [key("a"), key("absent")]) == [b"1", None]
    assert mgets(redis_db) == before
    # A key it has not seen yet: one MGET, then none again.
    assert mirror.mget(redis_db, [key("a"), key("b")]) == [b"1", None]
    assert mirror.mget(redis_db, [key("b")]) == [None]
    assert mgets(redis_db) == before + 1


def test_a_client_speaking_resp3_is_mirrored_the_same() -> None:
    """redis-py 8 speaks RESP3 unless told: the listener still speaks RESP2 (pub/sub messages, a
    PING answered in kind), so warm reads stay local and the next read after a write sees it."""
    mirror = KeyMirror((PREFIX,), check_seconds=0.0)  # every read pings the listener too
    client = Redis.from_url(REDIS_URL, protocol=3)
    writer = Redis.from_url(REDIS_URL, protocol=3)
    try:
        writer.set(key("r3"), b"1")
        assert mirror.mget(client, [key("r3")]) == [b"1"]
        before = mgets(client)
        for _ in range(5):
            assert mirror.mget(client, [key("r3")]) == [b"1"]
        assert mirror.listening and mgets(client) == before
        writer.set(key("r3"), b"2")
        assert mirror.mget(client, [key("r3")]) == [b"2"]
    finally:
        writer.delete(key("r3"))
        mirror.close()


def test_every_change_by_another_connection_counts_on_the_next_read(
    redis_db: Redis, mirror: KeyMirror
) -> None:
    """No sleep between the change and the read: Redis sends the message before it answers the writer."""
    writer = Redis.from_url(REDIS_URL)
    watched = [key("version"), key("revoked")]
    assert mirror.mget(redis_db, watched) == [None, None]
    for step in range(50):
        writer.set(key("version"), f"v{step}")
        assert mirror.mget(redis_db, watched) == [f"v{step}".encode(), None]
    writer.set(key("revoked"), 1)
    assert mirror.mget(redis_db, watched)[1] == b"1"
    writer.delete(key("version"))
    assert mirror.mget(redis_db, watched) == [None, b"1"]
    writer.set(key("revoked"), 1, px=30)  # an expiry, like a revocation mark outliving its token
    assert mirror.mget(redis_db, watched) == [None, b"1"]
    time.sleep(0.1)
    writer.get(key("revoked"))  # expired keys are deleted (and announced) when touched or swept
    assert mirror.mget(redis_db, watched) == [None, None]
    writer.set(key("version"), "again")
    assert mirror.mget(redis_db, watched) == [b"again", None]
    writer.flushdb()  # "everything changed"
    assert mirror.mget(redis_db, watched) == [None, None]


def test_a_value_read_across_a_change_taken_by_another_thread_is_not_kept(
    redis_db: Redis, mirror: KeyMirror
) -> None:
    """The MGET reads the old value; a write follows and another thread takes its message before this
    one stores what it read: the old value must not stay in the copy (the generation guard)."""
    redis_db.set(key("v"), b"old")
    writer = Redis.from_url(REDIS_URL)

    class RacedClient:
        connection_pool = redis_db.connection_pool

        def mget(self, keys: list[str]) -> list[bytes | None]:
            read = redis_db.mget(keys)
            writer.set(key("v"), b"new")
            mirror.mget(redis_db, [key("other")])  # "another thread": takes the invalidation of v
            return read

    assert mirror.mget(RacedClient(), [key("v")]) == [b"old"]  # type: ignore[arg-type]
    assert mirror.mget(redis_db, [key("v")]) == [b"new"]


def test_a_killed_listener_reads_redis_until_it_listens_again(redis_db: Redis) -> None:
    now = [1000.0]
    mirror = KeyMirror((PREFIX,), retry_seconds=5.0, clock=lambda: now[0])
    try:
        redis_db.set(key("v"), b"1")
        assert mirror.mget(redis_db, [key("v")]) == [b"1"]
        assert mirror.listening
        redis_db.client_kill_filter(_type="pubsub")  # what a Redis restart does to it too
        redis_db.set(key("v"), b"2")  # its message has nowhere to go
        assert mirror.mget(redis_db, [key("v")]) == [b"2"]  # the broken listener is noticed first
        assert not mirror.listening
        before = mgets(redis_db)
        redis_db.set(key("v"), b"3")
        assert mirror.mget(redis_db, [key("v")]) == [b"3"]
        assert mgets(redis_db) == before + 1  # not listening: every read asks Redis
        now[0] += 6
        assert mirror.mget(redis_db, [key("v")]) == [b"3"]
        assert mirror.listening
        redis_db.set(key("v"), b"4")
        assert mirror.mget(redis_db, [key("v")]) == [b"4"]
    finally:
        mirror.close()


def test_the_periodic_ping_applies_every_message_before_it(redis_db: Redis) -> None:
    now = [0.0]
    mirror = KeyMirror((PREFIX,), check_seconds=1.0, clock=lambda: now[0])
    try:
        assert mirror.mget(redis_db, [key("v")]) == [None]
        redis_db.set(key("v"), b"1")
        now[0] += 2  # the next read pings, and reads up to the answer
        assert mirror.mget(redis_db, [key("v")]) == [b"1"]
        assert mirror.listening
    finally:
        mirror.close()


def test_a_redis_that_refuses_tracking_is_read_every_time(redis_db: Redis) -> None:
    user = f"notrack-{uuid.uuid4().hex[:6]}"
    redis_db.acl_setuser(
        user, enabled=True, nopass=True, keys=["*"], channels=["*"], commands=["+@all", "-client"]
    )
    limited = Redis.from_url(REDIS_URL, username=user)
    mirror = KeyMirror((PREFIX,))
    try:
        redis_db.set(key("v"), b"1")
        assert mirror.mget(limited, [key("v")]) == [b"1"]
        assert not mirror.listening
        redis_db.set(key("v"), b"2")
        assert mirror.mget(limited, [key("v")]) == [b"2"]
    finally:
        mirror.close()
        limited.close()
        redis_db.acl_deluser(user)


def test_another_server_starts_the_copy_over(redis_db: Redis, mirror: KeyMirror) -> None:
    redis_db.set(key("v"), b"1")
    assert mirror.mget(redis_db, [key("v")]) == [b"1"]
    other = Redis.from_url(REDIS_URL)  # another client (in production: another server after a failover)
    other.set(key("v"), b"2")
    assert mirror.mget(other, [key("v")]) == [b"2"]
    assert mirror.listening


def test_a_forked_child_listens_on_its_own(redis_db: Redis, mirror: KeyMirror) -> None:
    redis_db.set(key("v"), b"parent")
    assert mirror.mget(redis_db, [key("v")]) == [b"parent"]
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: a gunicorn worker forked after the app was loaded
        try:
            child = Redis.from_url(REDIS_URL)
            child.set(key("v"), b"child")
            answer = mirror.mget(redis_db, [key("v")])[0] == b"child" and mirror.listening
            child.set(key("v"), b"child-2")
            answer = answer and mirror.mget(redis_db, [key("v")])[0] == b"child-2"
            os.write(write, b"1" if answer else b"0")
        finally:
            os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    assert os.read(read, 1) == b"1"
    os.close(read)
    # The parent's listener still works, and saw the child's writes.
    assert mirror.mget(redis_db, [key("v")]) == [b"child-2"]
