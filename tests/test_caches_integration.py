"""``caches()`` against real Redis and Memcached servers, through Django's cache handler.

Redis is reached as a dedicated ACL user whose password is ``HOSTILE``; TLS is exercised with
a throwaway ``redis-server`` on a TLS port, signed by a CA generated here and delivered inline
as PEM in the credentials. No driver or server is mocked.
"""

from __future__ import annotations

import uuid

import pytest
from django.core.cache import CacheHandler

from cfsettings import caches
from tests.fixtures import HOSTILE, HOSTILE_QUOTED, PYMEMCACHE_BACKEND, REDIS_BACKEND, env
from tests.servers import (
    HOST,
    MEMCACHED_PORT,
    REDIS_PORT,
    ensure_memcached,
    require_port,
    unique_name,
)
from tests.tlskit import make_ca, make_cert, require_tools, tls_redis_server


def round_trip(settings, alias="default"):
    handler = CacheHandler(settings)
    cache = handler[alias]
    try:
        key, value = f"k-{uuid.uuid4().hex}", {"text": "naïve 🐘", "n": 42}
        assert cache.get(key) is None
        cache.set(key, value, 30)
        assert cache.get(key) == value
        cache.set(f"{key}-n", 1, 30)
        assert cache.incr(f"{key}-n") == 2
        cache.delete_many([key, f"{key}-n"])
        assert cache.get(key) is None
        return cache
    finally:
        handler.close_all()


# --- Redis ---------------------------------------------------------------------------------


@pytest.fixture
def redis_user():
    """An ACL user with the hostile password, allowed only keys under its own prefix."""
    require_port("Redis", REDIS_PORT)
    import redis

    admin = redis.Redis(host=HOST, port=REDIS_PORT)
    name = unique_name("cfs")
    admin.acl_setuser(
        name,
        enabled=True,
        passwords=[f"+{HOSTILE}"],
        keys=[f"{name}:*"],
        commands=["+@all"],
    )
    try:
        yield name
    finally:
        admin.acl_deluser(name)
        for key in admin.scan_iter(f"{name}:*"):
            admin.delete(key)
        admin.close()


def whoami(settings):
    handler = CacheHandler(settings)
    try:
        return handler["default"]._cache.get_client(write=True).acl_whoami()
    finally:
        handler.close_all()


@pytest.mark.parametrize(
    "credentials",
    [
        lambda user: {"uri": f"redis://{user}:{HOSTILE_QUOTED}@{HOST}:{REDIS_PORT}/0"},
        lambda user: {"host": HOST, "port": str(REDIS_PORT), "username": user, "password": HOSTILE},
    ],
    ids=["uri", "fields"],
)
def test_redis_round_trip_as_an_acl_user(redis_user, credentials):
    settings = caches(
        environ=env("sessions", credentials(redis_user), label="p.redis", tags=["redis"]),
        key_prefix=redis_user,
    )
    assert settings["default"]["BACKEND"] == REDIS_BACKEND
    assert HOSTILE_QUOTED not in settings["default"]["LOCATION"]
    round_trip(settings)
    assert whoami(settings) == redis_user


def test_redis_acl_user_is_enforced(redis_user):
    """The ACL is live: a wrong password is refused, so the round trips above logged in."""
    import redis

    creds = {"host": HOST, "port": REDIS_PORT, "username": redis_user, "password": "wrong"}
    settings = caches(environ=env("sessions", creds, tags=["redis"]), key_prefix=redis_user)
    with pytest.raises(redis.AuthenticationError):
        round_trip(settings)


def test_redis_every_alias_works(redis_user):
    creds = {"uri": f"redis://{redis_user}:{HOSTILE_QUOTED}@{HOST}:{REDIS_PORT}/1"}
    settings = caches(environ=env("sessions", creds, tags=["redis"]), key_prefix=redis_user)
    for alias in ("default", "sessions"):
        round_trip(settings, alias)


# --- Redis over TLS ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tls_redis(tmp_path_factory):
    """A throwaway redis-server speaking only TLS; yields (port, its CA, an unrelated CA)."""
    require_tools()
    directory = tmp_path_factory.mktemp("tls-redis")
    ca = make_ca(directory, "ca")
    other_ca = make_ca(directory, "other-ca")
    make_cert(directory, "server", "ca")
    with tls_redis_server(directory, "server", "ca") as port:
        yield port, ca, other_ca


def test_redis_tls_round_trip_with_inline_ca(tls_redis, tmp_path):
    port, ca, _ = tls_redis
    creds = {"host": HOST, "port": REDIS_PORT, "tls_port": port, "tls_ca": ca}
    settings = caches(
        environ=env("sessions", creds, label="p.redis", tags=["redis"]), cert_dir=str(tmp_path)
    )
    assert settings["default"]["LOCATION"] == f"rediss://{HOST}:{port}/0"
    with open(settings["default"]["OPTIONS"]["ssl_ca_certs"]) as handle:
        assert handle.read() == ca
    round_trip(settings)


def test_redis_tls_verifies_the_server_against_the_delivered_ca(tls_redis, tmp_path):
    import redis

    port, _, other_ca = tls_redis
    creds = {"host": HOST, "tls_port": port, "tls_ca": other_ca}
    settings = caches(environ=env("sessions", creds, tags=["redis"]), cert_dir=str(tmp_path))
    with pytest.raises(redis.ConnectionError, match="certificate verify failed"):
        round_trip(settings)


def test_redis_tls_port_is_not_plain_redis(tls_redis, tmp_path):
    """Control: the same server spoken to without TLS does not answer."""
    import redis

    port, _, _ = tls_redis
    settings = caches(environ=env("sessions", {"host": HOST, "port": port}, tags=["redis"]))
    assert settings["default"]["LOCATION"].startswith("redis://")
    with pytest.raises(redis.ConnectionError):
        round_trip(settings)


# --- Memcached -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "credentials",
    [
        {"servers": f"{HOST}:{MEMCACHED_PORT}"},
        {"host": HOST, "port": MEMCACHED_PORT},
        {"uri": f"memcached://{HOST}:{MEMCACHED_PORT}"},
    ],
    ids=["servers", "fields", "uri"],
)
def test_memcached_round_trip(credentials):
    ensure_memcached()
    settings = caches(environ=env("fragments", credentials, tags=["memcached"]))
    assert settings["default"]["BACKEND"] == PYMEMCACHE_BACKEND
    assert settings["default"]["LOCATION"] == f"{HOST}:{MEMCACHED_PORT}"
    round_trip(settings)
