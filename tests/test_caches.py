"""``caches()``: every broker payload, the precedence order, defaults and options.

Each expected entry is written out by hand from its fixture in ``tests/fixtures/vcap``.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from cfsettings import caches
from tests.fixtures import (
    CA_PEM,
    HOSTILE,
    HOSTILE_QUOTED,
    LOCMEM_BACKEND,
    PYLIBMC_BACKEND,
    PYMEMCACHE_BACKEND,
    REDIS_BACKEND,
    REDIS_TIMEOUTS,
    PemFile,
    assert_no_secret,
    document,
    env,
    service,
    vcap,
)

COMMON = {"KEY_PREFIX": "", "TIMEOUT": 300}
IBM_REDIS = "7e6d5c4b-3a2f-4e1d-9c8b-7a6f5e4d3c2b.c1ogj3sd0tgtu0lqde00.databases.appdomain.cloud"


def redis(location, **options):
    return {
        "BACKEND": REDIS_BACKEND,
        "LOCATION": location,
        "OPTIONS": {**REDIS_TIMEOUTS, **options},
        **COMMON,
    }


def memcached(location, backend=PYMEMCACHE_BACKEND, **options):
    return {"BACKEND": backend, "LOCATION": location, "OPTIONS": options, **COMMON}


#: fixture -> (service name, the CACHES entry it must produce)
BROKERS = {
    "p.redis": (
        "sessions",
        redis(
            "rediss://q-s0.redis-instance.default.service-instance-7d9f2c3e.bosh:16379/0",
            password="kV8tR2mQ9wX4zL6p",
        ),
    ),
    "rediscloud": (
        "rediscloud-4f2a",
        redis(
            "redis://redis-12345.c10.us-east-1-3.ec2.cloud.redislabs.com:12345/0",
            password="p7Lq2Wz9Xk4Rm8Tv",
        ),
    ),
    "databases-for-redis": (
        "ibm-redis",
        redis(
            f"rediss://{IBM_REDIS}:30376/0",
            username="admin",
            password="c8a1e5f3b7d94a2c",
            ssl_ca_certs=PemFile(CA_PEM),
        ),
    ),
    "memcachier": (
        "memcachier-9c1b",
        memcached(
            "mc1.dev.ec2.memcachier.com:11211",
            PYLIBMC_BACKEND,
            binary=True,
            username="4b2c1d",
            password="8d5f1a9c7e3b2d6f4a0c",
        ),
    ),
    "memcachedcloud": (
        "memcachedcloud-7e3d",
        memcached(
            "pub-memcache-10263.us-east-1-4.2.ec2.garantiadata.com:10263",
            PYLIBMC_BACKEND,
            binary=True,
            username="memcached-app12345",
            password="Qm4Zt8Kp2Wx6Rv9L",
        ),
    ),
    "user-provided-memcached": (
        "fragments",
        memcached(["10.0.4.11:11211", "10.0.4.12:11211"]),
    ),
}


@pytest.mark.parametrize("fixture", sorted(BROKERS))
def test_broker_payload(fixture, cert_dir):
    name, entry = BROKERS[fixture]
    result = caches(environ=vcap(document(fixture)), cert_dir=cert_dir)
    assert result == {"default": entry, name: entry}
    assert list(result) == ["default", name]


def test_location_never_holds_the_password():
    uri = f"redis://app:{HOSTILE_QUOTED}@cache.example.com:6380/2"
    result = caches(environ=env("cache", {"uri": uri}))
    assert result["default"] == redis(
        "redis://cache.example.com:6380/2", username="app", password=HOSTILE
    )


@pytest.mark.parametrize(
    ("credentials", "location", "password"),
    [
        ({"uri": "redis://:s3cret@h.example.com"}, "redis://h.example.com:6379/0", "s3cret"),
        ({"uri": "redis://h.example.com:7000/"}, "redis://h.example.com:7000/0", None),
        ({"uri": "rediss://h.example.com:6380/3"}, "rediss://h.example.com:6380/3", None),
        ({"host": "h.example.com", "tls": True}, "rediss://h.example.com:6379/0", None),
        (
            {"host": "h.example.com", "port": 7000, "tls_port": "7001", "password": "pw"},
            "rediss://h.example.com:7001/0",
            "pw",
        ),
        ({"host": "2001:db8::7", "port": 6379}, "redis://[2001:db8::7]:6379/0", None),
        (
            {"host": "h.example.com", "name": "5", "database": "6", "db": "7"},
            "redis://h.example.com:6379/0",
            None,
        ),
    ],
)
def test_redis_location(credentials, location, password):
    result = caches(environ=env("cache", credentials, tags=["redis"]))
    login = {} if password is None else {"password": password}
    assert result["default"] == redis(location, **login)


@pytest.mark.parametrize("path", ["db1", "\u00b2", "-1"])
def test_redis_database_that_is_not_a_number_is_an_error(path):
    credentials = {"uri": f"redis://:{HOSTILE_QUOTED}@h.example.com:6379/{path}"}
    with pytest.raises(ImproperlyConfigured) as raised:
        caches(environ=env("cache", credentials))
    message = str(raised.value)
    assert "'cache' (redis)" in message and "path of 'uri'" in message
    assert_no_secret(message)


def test_redis_ca_given_as_a_path(tmp_path):
    path = tmp_path / "ca.pem"
    path.write_text(CA_PEM)
    result = caches(environ=env("cache", {"uri": "rediss://h:6380", "ca_cert": str(path)}))
    assert result["default"]["OPTIONS"]["ssl_ca_certs"] == str(path)
    assert result["default"]["LOCATION"] == "rediss://h:6380/0"


def test_redis_inline_ca_turns_tls_on(cert_dir):
    credentials = {"host": "h.example.com", "password": "pw", "tls_ca": CA_PEM}
    result = caches(environ=env("cache", credentials, tags=["redis"]), cert_dir=cert_dir)
    assert result["default"] == redis(
        "rediss://h.example.com:6379/0", password="pw", ssl_ca_certs=PemFile(CA_PEM, cert_dir)
    )


def test_memcached_from_host_and_port():
    result = caches(environ=env("mc", {"host": "10.0.0.9", "port": "11311"}, tags=["memcache"]))
    assert result["default"] == memcached("10.0.0.9:11311")


@pytest.mark.parametrize(
    ("servers", "location"),
    [
        ("a.example.com:1, b.example.com", ["a.example.com:1", "b.example.com:11211"]),
        ("a.example.com b.example.com:2", ["a.example.com:11211", "b.example.com:2"]),
        (["[2001:db8::1]:11212", "2001:db8::2"], ["[2001:db8::1]:11212", "[2001:db8::2]:11211"]),
        ("single.example.com", "single.example.com:11211"),
    ],
)
def test_memcached_servers(servers, location):
    result = caches(environ=env("mc", {"servers": servers}))
    assert result["default"] == memcached(location)


def test_memcached_password_without_username_still_uses_sasl():
    result = caches(environ=env("mc", {"servers": "m:1", "password": "pw"}))
    assert result["default"] == memcached(
        "m:1", PYLIBMC_BACKEND, binary=True, username="", password="pw"
    )


# --- several caches, defaults --------------------------------------------------------------

SEVERAL = vcap(document("p.redis"), document("memcachier"), document("rediscloud"))


def test_several_caches_default_is_first_by_name():
    result = caches(environ=SEVERAL)
    assert sorted(result) == ["default", "memcachier-9c1b", "rediscloud-4f2a", "sessions"]
    assert result["default"] == BROKERS["memcachier"][1]
    for fixture in ("p.redis", "memcachier", "rediscloud"):
        name, entry = BROKERS[fixture]
        assert result[name] == entry


def test_default_argument_and_variable():
    environ = {**SEVERAL, "CFSETTINGS_DEFAULT_CACHE": "rediscloud-4f2a"}
    assert caches(environ=environ)["default"] == BROKERS["rediscloud"][1]
    assert caches("sessions", environ=environ)["default"] == BROKERS["p.redis"][1]


def test_default_naming_an_unbound_service_is_an_error():
    with pytest.raises(ImproperlyConfigured) as excinfo:
        caches("nope", environ=SEVERAL)
    message = str(excinfo.value)
    assert "CFSETTINGS_DEFAULT_CACHE" in message
    assert "'nope'" in message
    assert "'memcachier-9c1b', 'rediscloud-4f2a', 'sessions'" in message


def test_default_entry_does_not_share_options_with_its_alias():
    result = caches(environ=SEVERAL)
    result["default"]["OPTIONS"]["password"] = "changed"
    assert result["memcachier-9c1b"]["OPTIONS"]["password"] == "8d5f1a9c7e3b2d6f4a0c"


def test_a_service_named_default_is_the_default_alias_itself():
    environ = vcap(
        service("default", {"uri": "redis://r1.example.com"}),
        service("aaa", {"uri": "redis://r2.example.com"}),
    )
    result = caches(environ=environ)
    assert result == {
        "default": redis("redis://r1.example.com:6379/0"),
        "aaa": redis("redis://r2.example.com:6379/0"),
    }


def test_key_prefix_timeout_and_option_overrides():
    environ = vcap(document("p.redis"), document("user-provided-memcached"))
    result = caches(
        environ=environ,
        key_prefix="shop",
        timeout=None,
        redis_options={"socket_timeout": None, "health_check_interval": 30},
        memcached_options={"no_delay": True},
    )
    assert result["sessions"] == {
        "BACKEND": REDIS_BACKEND,
        "LOCATION": "rediss://q-s0.redis-instance.default.service-instance-7d9f2c3e.bosh:16379/0",
        "OPTIONS": {
            "socket_connect_timeout": 5,
            "password": "kV8tR2mQ9wX4zL6p",
            "health_check_interval": 30,
        },
        "KEY_PREFIX": "shop",
        "TIMEOUT": None,
    }
    assert result["fragments"]["OPTIONS"] == {"no_delay": True}
    assert result["fragments"]["KEY_PREFIX"] == "shop"


# --- nothing bound -------------------------------------------------------------------------


def test_nothing_bound_is_local_memory():
    assert caches(environ={}) == {
        "default": {"BACKEND": LOCMEM_BACKEND, "LOCATION": "cfsettings", **COMMON}
    }


def test_local_memory_takes_prefix_and_timeout():
    result = caches(environ={"VCAP_SERVICES": "{}"}, key_prefix="p", timeout=60)
    assert result["default"] == {
        "BACKEND": LOCMEM_BACKEND,
        "LOCATION": "cfsettings",
        "KEY_PREFIX": "p",
        "TIMEOUT": 60,
    }


@pytest.mark.parametrize(
    ("url", "location", "login"),
    [
        ("redis://cache.example.com:6379/1", "redis://cache.example.com:6379/1", {}),
        (
            f"rediss://worker:{HOSTILE_QUOTED}@cache.example.com:6380/0?ssl_cert_reqs=required",
            "rediss://cache.example.com:6380/0?ssl_cert_reqs=required",
            {"username": "worker", "password": HOSTILE},
        ),
        ("redis://:pw@[2001:db8::5]:6379", "redis://[2001:db8::5]:6379", {"password": "pw"}),
        ("unix:///run/redis.sock?db=2", "unix:/run/redis.sock?db=2", {}),
    ],
)
def test_redis_url_when_nothing_is_bound(url, location, login):
    result = caches(environ={"REDIS_URL": f" {url} "})
    assert result == {
        "default": {
            "BACKEND": REDIS_BACKEND,
            "LOCATION": location,
            "OPTIONS": {**REDIS_TIMEOUTS, **login},
            **COMMON,
        }
    }


def test_redis_url_options_override():
    result = caches(environ={"REDIS_URL": "redis://h"}, redis_options={"socket_timeout": 1})
    assert result["default"]["OPTIONS"] == {"socket_connect_timeout": 5, "socket_timeout": 1}


def test_redis_url_is_ignored_when_a_cache_is_bound():
    environ = vcap(document("rediscloud"), REDIS_URL="redis://elsewhere")
    assert caches(environ=environ)["default"] == BROKERS["rediscloud"][1]


def test_redis_url_is_used_when_only_databases_are_bound():
    environ = vcap(document("elephantsql"), REDIS_URL="redis://r.example.com")
    assert caches(environ=environ)["default"]["LOCATION"] == "redis://r.example.com"


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        (
            f"memcached://u:{HOSTILE_QUOTED}@h:11211",
            "must start with redis://, rediss:// or unix://, not memcached://.",
        ),
        (
            f"redis+sentinel://u:{HOSTILE_QUOTED}@h",
            "must start with redis://, rediss:// or unix://.",
        ),
        (f"redis://u:{HOSTILE_QUOTED}@h:port", "is not a valid URL (bad host or port)."),
        (f"redis://u:{HOSTILE_QUOTED}@[::1", "is not a valid URL (bad host or port)."),
        (HOSTILE, "must start with redis://, rediss:// or unix://."),
    ],
)
def test_redis_url_errors_name_the_variable_not_the_password(url, problem):
    with pytest.raises(ImproperlyConfigured) as excinfo:
        caches(environ={"REDIS_URL": url})
    message = str(excinfo.value)
    assert message == f"REDIS_URL {problem}"
    assert_no_secret(message)
