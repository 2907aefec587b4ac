"""Masking secrets: by key name, inside URIs, and wherever a known secret value reappears."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from psycopg.conninfo import make_conninfo

from cfsettings.masking import (
    MASK,
    MIN_SUBSTRING,
    Masker,
    escape,
    hides,
    redact_uri,
    secret_key,
    spellings,
    uri_password_spans,
)
from tests.fixtures import HOSTILE, HOSTILE_QUOTED


@pytest.mark.parametrize(
    "key",
    [
        "password",
        "PASSWORD",
        "db_password",
        "masterPassword",
        "pw",
        "pwd",
        "passwd",
        "client_secret",
        "api_token",
        "access_key",
        "apikey",
        "private_key",
        "PrivateKeyData",
        "ca_certificate",
        "credentials",
        "auth",
        "signature",
    ],
)
def test_keys_that_name_a_secret(key):
    assert secret_key(key)
    assert hides(key, "some value")


@pytest.mark.parametrize(
    "key", ["host", "hostname", "port", "username", "name", "uri", "KEY_PREFIX", "key_function"]
)
def test_keys_that_do_not(key):
    assert not secret_key(key)
    assert not hides(key, "some value")


def test_a_file_option_shows_the_path_of_an_existing_file_only(tmp_path):
    existing = tmp_path / "ca.pem"
    existing.write_text("-----BEGIN CERTIFICATE-----\n")
    assert not hides("sslrootcert", str(existing))
    assert not hides("ssl_ca_certs", str(existing))
    assert hides("sslrootcert", str(tmp_path / "missing.pem"))  # could be base64 key material
    assert hides("sslkey", "/9j4AAQSkZJRgABAQ")  # base64 may start with a slash
    assert hides("sslkey", "relative/path.pem")
    assert hides("sslkey", f"{existing} ")  # whitespace: not a plain path
    assert hides("sslkey", "/\x00")
    assert hides("sslkey", "/" + "a" * 5000)
    assert hides("sslkey", 12345)
    # a key that names a secret hides even the path of a real file
    assert hides("private_key", str(existing))
    assert hides("password", str(existing))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("postgres://u:pw@h/db", f"postgres://u:{MASK}@h/db"),
        ("postgres://u@h/db", "postgres://u@h/db"),
        ("postgres://h:5432/db", "postgres://h:5432/db"),
        ("redis://:pw@h:6379/0", f"redis://:{MASK}@h:6379/0"),
        (f"mysql://u:{HOSTILE_QUOTED}@h/db", f"mysql://u:{MASK}@h/db"),
        # unencoded reserved characters: everything up to the last @ goes
        ("postgres://u:a://b@c/d@h/db", f"postgres://u:{MASK}@h/db"),
        (
            "jdbc:mysql://h/db?user=u&password=s3cr%26t&useSSL=true",
            f"jdbc:mysql://h/db?user=u&password={MASK}&useSSL=true",
        ),
        (
            "jdbc:sqlserver://h;user=u;Password=pw;db=x",
            f"jdbc:sqlserver://h;user=u;Password={MASK};db=x",
        ),
        ("host=h pwd=x", "host=h pwd=x"),  # not a query string
        ("no uri here", "no uri here"),
        ("a=b", "a=b"),
        ("postgres://u:pw@h/db\nsecond line@x", f"postgres://u:{MASK}@h/db\nsecond line@x"),
        ("redis://:a@h1,redis://:b@h2", f"redis://:{MASK}@h2"),
    ],
)
def test_uri_passwords_are_masked(text, expected):
    assert redact_uri(text) == expected


def test_uri_password_spans_point_at_the_password():
    text = "postgres://user:pa%40ss@host/db?password=two"
    assert [text[begin:end] for begin, end in uri_password_spans(text)] == ["pa%40ss", "two"]
    assert uri_password_spans("postgres://user:@host/db") == []  # empty: nothing to mask


def test_spellings_cover_encodings_and_escapes():
    forms = spellings(HOSTILE)
    assert {HOSTILE, HOSTILE_QUOTED, json.dumps(HOSTILE)[1:-1], repr(HOSTILE)[1:-1]} <= forms
    assert quote(HOSTILE) in forms
    assert spellings("a\nb") >= {"a\nb", "a\\nb"}
    assert spellings("***") == set()  # indistinguishable from the mask: nothing to hide
    assert spellings("  ") == set()


def test_escape_makes_control_characters_and_surrogates_visible():
    assert escape("plain é") == "plain é"
    assert escape("red\x1b[31m\n") == "red\\x1b[31m\\n"
    assert escape("lone \ud800") == "lone \\ud800"


def test_redactor_learns_from_key_names_and_uris():
    masker = Masker()
    masker.learn(
        {
            "username": "admin",
            "password": HOSTILE,
            "uri": f"postgres://admin:{HOSTILE_QUOTED}@h/db",
            "nested": {"api_token": "tok-0123456789", "hosts": ["h1", "h2"]},
            "private_keys": ["k-one-secret", "k-two-secret"],
            "port": 5432,
            "pin_pass": 987654,
            "flag_pw": True,
        }
    )
    text = masker.scrub(
        f"admin {HOSTILE} {HOSTILE_QUOTED} tok-0123456789 k-one-secret k-two-secret 5432 987654"
    )
    assert text == f"admin {MASK} {MASK} {MASK} {MASK} {MASK} 5432 {MASK}"
    assert "secrets" in repr(masker) and HOSTILE not in repr(masker)


def test_redactor_learning_is_bounded_by_depth():
    deep: Any = {"password": "at-the-bottom"}
    for _ in range(500):
        deep = {"level": [deep]}
    masker = Masker()
    masker.learn(deep)  # no RecursionError; too deep to matter
    masker.learn([deep])  # a list, not a dict, at the limit
    assert masker.scrub("at-the-bottom") == "at-the-bottom"


def test_data_masks_keys_only_when_asked():
    masker = Masker()
    masker.add("plan-secret")
    assert masker.data({"plan-secret": "plan-secret"}) == {"plan-secret": MASK}


def test_a_secret_that_is_an_escaped_spelling_is_masked_unescaped_too():
    masker = Masker()
    masker.add('a\\"quoted\\"b')  # the JSON spelling of a"quoted"b
    assert masker.data(['a"quoted"b']) == [MASK]


def test_data_masks_by_key_uri_and_known_value(tmp_path):
    pem = tmp_path / "ca.pem"
    pem.write_text("x")
    masker = Masker()
    masker.add("hunter2-but-longer")
    masked = masker.data(
        {
            "USER": "hunter2-but-longer",
            "PASSWORD": "anything",
            "LOCATION": "redis://:other@h:6379/0",
            "KEY_PREFIX": "app",
            "OPTIONS": {"sslrootcert": str(pem), "ssl": {"key": "/not/there"}},
            "hosts": ["a", "hunter2-but-longer.example.com"],
            "hunter2-but-longer": 1,
            "PORT": 5432,
            "on": True,
            "none": None,
            "path": tmp_path,
        },
        keys=True,
    )
    assert masked == {
        "USER": MASK,
        "PASSWORD": MASK,
        "LOCATION": f"redis://:{MASK}@h:6379/0",
        "KEY_PREFIX": "app",
        "OPTIONS": {"sslrootcert": str(pem), "ssl": {"key": MASK}},
        "hosts": ["a", f"{MASK}.example.com"],
        MASK: 1,
        "PORT": 5432,
        "on": True,
        "none": None,
        "path": str(tmp_path),
    }


def test_data_masks_numbers_equal_to_a_secret_and_bounds_depth():
    masker = Masker()
    masker.add("5432")
    assert masker.data({"PORT": 5432, "other": 80}) == {"PORT": MASK, "other": 80}
    masker.add("pw")  # short: masked as a whole value only, never inside other text
    assert masker.data({"a": "pw", "b": "upward", "pw": 1}, keys=True) == {
        "a": MASK,
        "b": "upward",
        MASK: MASK,  # a key named pw hides its value, and is a known secret itself
    }
    assert masker.scrub("upward pw") == "upward pw"
    deep: list = []
    for _ in range(200):
        deep = [deep]
    flat = json.dumps(Masker().data(deep))
    assert MASK in flat  # cut off below the depth limit, never a RecursionError


def test_a_secret_completed_by_the_mask_is_masked_again():
    masker = Masker()
    masker.add("a*******")  # ends in mask characters: replacing "aa*******" yields "a********"
    assert "a*******" not in masker.scrub("xaa******* and a*******")


# Properties: every spelling of any hostile password, in DATABASES or CACHES, is masked.

HOSTILE_ALPHABET = "'\"\\%@:/#?+ é=&;\n\t*$`{}[]()<>|!~^,."
PASSWORDS = st.one_of(
    st.text(alphabet=HOSTILE_ALPHABET + "aZ09", min_size=MIN_SUBSTRING, max_size=24),
    st.text(st.characters(exclude_categories=("Cs",)), min_size=MIN_SUBSTRING, max_size=24),
).filter(lambda password: len(password.strip("* \t\r\n")) >= MIN_SUBSTRING)


def spelled(password: str) -> dict[str, tuple[str, str]]:
    """How a password shows up in text: (the text around it, the password's own spelling)."""
    entry = {"ENGINE": "django.db.backends.postgresql", "PASSWORD": password, "HOST": "db"}
    percent = quote(password, safe="")
    forms = {
        "raw": (f"FATAL: bad password {password}", password),
        "percent-encoded": (f"postgres://u:{percent}@db/x", percent),
        "quote": (f"password={quote(password)}", quote(password)),
        "quote_plus": (f"password={quote_plus(password)}", quote_plus(password)),
        "repr of the entry": (repr(entry), repr(password)[1:-1]),
        "JSON of the entry": (json.dumps(entry), json.dumps(password)[1:-1]),
        "JSON, not ASCII": (
            json.dumps(entry, ensure_ascii=False),
            json.dumps(password, ensure_ascii=False)[1:-1],
        ),
        "bytes": (repr(password.encode()), repr(password.encode())[2:-1]),
        "str of bytes": (f"error {password.encode()!s}", str(password.encode())[2:-1]),
    }
    if "\x00" not in password:  # libpq cannot carry a NUL at all (and cfsettings refuses one)
        conninfo = make_conninfo("", password=password, host="db")
        own = conninfo.split("password=", 1)[1].split(" host=")[0]
        forms["libpq conninfo"] = (f"could not connect: {conninfo}", own.strip("'"))
    return forms


@settings(max_examples=150, deadline=None)
@given(password=PASSWORDS, where=st.sampled_from(["database", "cache uri", "cache option"]))
def test_every_spelling_of_a_hostile_password_is_masked(password, where):
    from cfsettings.stage.output import staging_masker

    databases: dict[str, Any] = {"default": {"ENGINE": "x", "NAME": "n"}}
    caches: dict[str, Any] = {"default": {"BACKEND": "x"}}
    if where == "database":
        databases["default"]["PASSWORD"] = password
    elif where == "cache uri":
        caches["default"]["LOCATION"] = f"redis://:{quote(password, safe='')}@cache:6379/0"
    else:
        caches["default"]["OPTIONS"] = {"password": password}
    masker = staging_masker(databases, caches, {})
    for name, (text, own) in spelled(password).items():
        masked = masker.scrub(text)
        assert own not in masked, f"{name}: {own!r} left in {masked!r}"
        assert MASK in masked, name


@settings(max_examples=50, deadline=None)
@given(password=PASSWORDS, plain=st.text(max_size=40))
def test_masking_is_stable_and_leaves_other_text_alone(password, plain):
    masker = Masker()
    masker.add(password)
    once = masker.scrub(f"{password} and {quote(password, safe='')}")
    assert once == f"{MASK} and {MASK}"
    assert masker.scrub(once) == once
    assume(not any(form in plain for form in spellings(password) if len(form) >= MIN_SUBSTRING))
    assert masker.scrub(plain) == plain
