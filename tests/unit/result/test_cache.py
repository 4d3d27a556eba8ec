"""The result service's TTL-bounded LRU."""

from __future__ import annotations

from cveval_result.cache import TtlLru, etag_of


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_least_recently_used_is_evicted_first() -> None:
    cache: TtlLru[str, int] = TtlLru(2, 60.0)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # a is now the most recent
    cache.put("c", 3)
    assert cache.get("b") is None
    assert (cache.get("a"), cache.get("c")) == (1, 3)
    assert len(cache) == 2


def test_entries_expire_after_their_ttl() -> None:
    clock = Clock()
    cache: TtlLru[str, int] = TtlLru(10, 2.0, clock)
    cache.put("a", 1)
    clock.now = 1.9
    assert cache.get("a") == 1
    clock.now = 2.0
    assert cache.get("a") is None
    assert len(cache) == 0


def test_drop_where_and_a_zero_size_cache() -> None:
    cache: TtlLru[tuple[str, str], int] = TtlLru(10, 60.0)
    cache.put(("t1", "j1"), 1)
    cache.put(("t2", "j1"), 2)
    cache.drop_where(lambda key: key[0] == "t1")
    assert cache.get(("t1", "j1")) is None and cache.get(("t2", "j1")) == 2
    off: TtlLru[str, int] = TtlLru(0, 60.0)
    off.put("a", 1)
    assert off.get("a") is None


def test_etag_is_a_quoted_digest_of_the_bytes() -> None:
    assert etag_of(b"x") == etag_of(b"x") != etag_of(b"y")
    assert etag_of(b"x").startswith('"') and etag_of(b"x").endswith('"')
