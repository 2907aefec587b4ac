"""Split the URIs brokers hand out, without importing ``urllib.parse``.

``urllib.parse`` and the ``ipaddress`` module it loads are the largest import that
resolving bound services would otherwise add to every fresh worker (about 2 ms of 13). The
rules are ``urllib.parse.urlsplit``'s for ``scheme://user:password@host:port/path?query``
(``tests/test_uri.py`` compares the two), except that a bracketed IPv6 host is checked for
its characters only, and non-ASCII hosts are not NFKC-checked: both only matter to browsers.
"""

from __future__ import annotations

import re

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*")
_IPV6 = re.compile(r"[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(%.+)?")
_ESCAPES = re.compile(r"(?:%[0-9A-Fa-f]{2})+")
_REMOVED = str.maketrans("", "", "\t\r\n")
_C0_OR_SPACE = "".join(chr(code) for code in range(33))


class Parts:
    """A split URI. ``repr`` leaves out the login, which may hold a password."""

    __slots__ = ("fragment", "netloc", "path", "query", "scheme")

    def __init__(self, scheme: str, netloc: str, path: str, query: str, fragment: str) -> None:
        self.scheme = scheme
        self.netloc = netloc
        self.path = path
        self.query = query
        self.fragment = fragment

    def __repr__(self) -> str:
        return f"Parts(scheme={self.scheme!r}, host={self.hostname!r}, path={self.path!r})"

    def _userinfo(self) -> tuple[str | None, str | None]:
        userinfo, at, _ = self.netloc.rpartition("@")
        if not at:
            return None, None
        username, colon, password = userinfo.partition(":")
        return username, password if colon else None

    @property
    def username(self) -> str | None:
        """Still percent-encoded, as ``urlsplit`` leaves it."""
        return self._userinfo()[0]

    @property
    def password(self) -> str | None:
        """Still percent-encoded, as ``urlsplit`` leaves it."""
        return self._userinfo()[1]

    def _hostinfo(self) -> tuple[str, str]:
        hostinfo = self.netloc.rpartition("@")[2]
        _, bracket, bracketed = hostinfo.partition("[")
        if bracket:
            host, _, rest = bracketed.partition("]")
            return host, rest.partition(":")[2]
        host, _, port = hostinfo.partition(":")
        return host, port

    @property
    def hostname(self) -> str | None:
        """Lower-cased, without brackets; an IPv6 zone keeps its case."""
        host = self._hostinfo()[0]
        if not host:
            return None
        address, percent, zone = host.partition("%")
        return address.lower() + percent + zone

    @property
    def port(self) -> int | None:
        """The port, or ``None``; ``ValueError`` when it is not a number from 0 to 65535."""
        text = self._hostinfo()[1]
        if not text:
            return None
        if not (text.isascii() and text.isdigit()) or int(text) > 65535:
            raise ValueError("the port is not a number from 0 to 65535")
        return int(text)


def split(text: str) -> Parts:
    """``urllib.parse.urlsplit``; ``ValueError`` for unbalanced or malformed IPv6 brackets."""
    text = text.lstrip(_C0_OR_SPACE).translate(_REMOVED)
    scheme = netloc = query = fragment = ""
    colon = text.find(":")
    if colon > 0 and _SCHEME.fullmatch(text, 0, colon):
        scheme, text = text[:colon].lower(), text[colon + 1 :]
    if text[:2] == "//":
        end = min((i for i in (text.find(c, 2) for c in "/?#") if i >= 0), default=len(text))
        netloc, text = text[2:end], text[end:]
        _check_brackets(netloc)
    if "#" in text:
        text, fragment = text.split("#", 1)
    if "?" in text:
        text, query = text.split("?", 1)
    return Parts(scheme, netloc, text, query, fragment)


def _check_brackets(netloc: str) -> None:
    if ("[" in netloc) != ("]" in netloc):
        raise ValueError("Invalid IPv6 URL")
    if "[" not in netloc:
        return
    before, _, bracketed = netloc.rpartition("@")[2].partition("[")
    host, _, after = bracketed.partition("]")
    if before or (after and not after.startswith(":")) or not _IPV6.fullmatch(host):
        raise ValueError("Invalid IPv6 URL")


def unquote(text: str) -> str:
    """Decode ``%XX`` escapes once, as UTF-8 (invalid sequences become U+FFFD)."""
    if "%" not in text:
        return text
    return _ESCAPES.sub(
        lambda escapes: bytes.fromhex(escapes.group().replace("%", "")).decode("utf-8", "replace"),
        text,
    )


def query_pairs(query: str) -> dict[str, str]:
    """``dict(parse_qsl(query, keep_blank_values=True))``: ``+`` is a space, ``&`` separates."""
    pairs: dict[str, str] = {}
    for field in query.split("&"):
        if not field:
            continue
        name, _, value = field.partition("=")
        pairs[unquote(name.replace("+", " "))] = unquote(value.replace("+", " "))
    return pairs
