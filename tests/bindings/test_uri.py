"""``cfsettings.bindings.uri`` against ``urllib.parse``, which it stands in for."""

from __future__ import annotations

import subprocess
import sys
from urllib.parse import parse_qsl, urlsplit
from urllib.parse import unquote as urllib_unquote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cfsettings.bindings.uri import query_pairs, split, unquote
from tests.fixtures import HOSTILE, HOSTILE_QUOTED

URIS = [
    "mysql://user:pw@db.example.com:3306/name?reconnect=true",
    f"postgres://user:{HOSTILE_QUOTED}@[2001:db8::1]:5432/db%2Fname?sslmode=verify-full",
    "postgresql://[fe80::1%25eth0]/d",
    "redis://:secret@Cache.Example.COM",
    "rediss://u@h:6380/3#frag",
    "mysql2://h",
    "mysql://h:/d",
    "postgres:///socket-db",
    "postgres://h/d?a=1&b=&c&&d=x+y%20z",
    "  \tmysql://h\n/d  ",
    "relative/path?q",
    "1scheme://h",
    "mysql://u:p:q@h@i:1/d",
    "mysql://h?x#y?z",
    "MySQL://H/D",
    "",
]


@pytest.mark.parametrize("uri", URIS)
def test_split_agrees_with_urlsplit(uri):
    ours, theirs = split(uri), urlsplit(uri)
    assert (ours.scheme, ours.netloc, ours.path, ours.query, ours.fragment) == tuple(theirs)
    assert (ours.username, ours.password, ours.hostname, ours.port) == (
        theirs.username,
        theirs.password,
        theirs.hostname,
        theirs.port,
    )


@pytest.mark.parametrize(
    "uri",
    [
        "mysql://h:port/d",
        "mysql://h:65536/d",
        "mysql://h:\u00b2/d",
        "mysql://[::1/d",
        "mysql://::1]/d",
        "mysql://[not-an-address]/d",
        "memcache://h:11211,h2:11211",
    ],
)
def test_split_refuses_what_urlsplit_refuses(uri):
    with pytest.raises(ValueError):
        urlsplit(uri).port  # noqa: B018
    with pytest.raises(ValueError) as raised:
        split(uri).port  # noqa: B018
    assert "h:" not in str(raised.value)  # the message never repeats the URI


@pytest.mark.parametrize("uri", ["mysql://x[::1]/d", "mysql://[::1]x/d"])
def test_split_refuses_text_around_brackets_that_this_python_lets_through(uri):
    with pytest.raises(ValueError, match="Invalid IPv6 URL"):
        split(uri)


@settings(max_examples=300, deadline=None)
@given(
    scheme=st.sampled_from(["mysql", "postgres", "redis", "rediss", "x+y.z-1"]),
    user=st.text(max_size=12),
    password=st.text(max_size=16),
    host=st.sampled_from(["h", "DB.example.com", "[2001:db8::7]", "10.0.0.1", ""]),
    port=st.sampled_from(["", ":0", ":5432", ":65535"]),
    path=st.text(alphabet="abc/%?#=&+é ", max_size=12),
)
def test_split_agrees_with_urlsplit_on_encoded_logins(scheme, user, password, host, port, path):
    from urllib.parse import quote

    uri = f"{scheme}://{quote(user, safe='')}:{quote(password, safe='')}@{host}{port}/{path}"
    ours, theirs = split(uri), urlsplit(uri)
    assert (ours.scheme, ours.netloc, ours.path, ours.query, ours.fragment) == tuple(theirs)
    assert (ours.hostname, ours.port) == (theirs.hostname, theirs.port)
    assert unquote(ours.username) == user and unquote(ours.password) == password


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([*"%0aF9gé+ /", "%C3", "%A9", "%e2%82%ac", "%zz"])))
def test_unquote_agrees_with_urllib(pieces):
    text = "".join(pieces)
    assert unquote(text) == urllib_unquote(text)


def test_unquote_decodes_once():
    assert unquote("%2541") == "%41"
    assert unquote(HOSTILE_QUOTED) == HOSTILE


@pytest.mark.parametrize("query", ["a=1&b=&c&&d=x+y%20z", "", "=v", "k=v=w", "a=1&a=2", "%zz=+"])
def test_query_pairs_agree_with_parse_qsl(query):
    assert query_pairs(query) == dict(parse_qsl(query, keep_blank_values=True))


def test_parts_repr_leaves_out_the_login():
    text = repr(split(f"postgres://user:{HOSTILE_QUOTED}@h/d"))
    assert text == "Parts(scheme='postgres', host='h', path='/d')"


def test_reading_a_bound_uri_does_not_import_urllib_parse():
    code = (
        "import sys, cfsettings\n"
        'env = {\'VCAP_SERVICES\': \'{"p.mysql": [{"name": "db", "tags": ["mysql"],'
        ' "credentials": {"uri": "mysql://u:p%40@h:3306/d?x=1"}}]}\'}\n'
        "assert cfsettings.databases(environ=env)['db']['PASSWORD'] == 'p@'\n"
        "print('urllib.parse' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-S", "-c", code], capture_output=True, text=True, check=True,
        cwd=str(__import__("pathlib").Path(__file__).resolve().parents[2]),
    )  # fmt: skip
    assert result.stdout.strip() == "False"
