"""Keep secrets out of everything cfsettings shows (explain output, check messages).

Three rules work together, because each alone misses something:

1. **Key names.** A value under a key that names a secret (``password``, ``pw``, ``secret``,
   ``token``, ``key``, ``private``, ``cert``, ``credential``, ``auth`` ...) is masked,
   whatever it looks like. Keys that only name a *file* (``sslkey``, ``ssl_ca_certs``) show
   their value when it is the path of an existing file: a path tells where, not what.
2. **URIs.** The password of any ``scheme://user:password@host`` and any ``password=`` query
   parameter (JDBC URLs carry the login there) is masked in every string.
3. **Known values.** Every secret found by rules 1 and 2 in the credentials is remembered, in
   each spelling it may take (raw, percent-encoded, JSON- or repr-escaped), and masked wherever
   it appears: in other values, in settings' keys, and in the finished text. A broker that
   repeats the password as the user name, or in a field with an innocent name, leaks nothing.
   Secrets shorter than ``MIN_SUBSTRING`` are masked as whole values only.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, quote_plus, unquote, unquote_plus

MASK = "********"

#: A key containing one of these names a secret, always.
SECRET_PARTS = ("pass", "pw", "secret", "token", "credential", "auth", "private", "signature")
#: A key containing one of these names a secret, or the path of a file holding one.
FILE_PARTS = ("key", "cert")
#: Django's cache options that merely contain "key".
NOT_SECRET_KEYS = frozenset({"key_prefix", "key_function"})

#: Shorter secrets are masked where they are a whole value, not inside other text, which they
#: would shred ("pw" is in "upward") while protecting nothing: they are guessed in no time.
MIN_SUBSTRING = 4
_QUERY_PASSWORD = re.compile(r"(?i)(?:^|[?&;])(?:password|passwd|pwd|pass)=([^&;#]*)")
_MAX_DEPTH = 100


def secret_key(key: str) -> bool:
    """Whether a value under ``key`` is (or may be) secret."""
    lowered = key.lower()
    if lowered in NOT_SECRET_KEYS:
        return False
    return any(part in lowered for part in SECRET_PARTS + FILE_PARTS)


def hides(key: str, value: Any) -> bool:
    """Whether the value under ``key`` must be masked (rule 1)."""
    if not secret_key(key):
        return False
    lowered = key.lower()
    if any(part in lowered for part in SECRET_PARTS):
        return True
    return not _is_file_path(value)


def _is_file_path(value: Any) -> bool:
    if not isinstance(value, str) or not value.startswith("/") or len(value) > 4096:
        return False
    if not value.isprintable() or any(char.isspace() for char in value):
        return False
    try:
        return os.path.isfile(value)
    except (OSError, ValueError):  # pragma: no cover - isfile already swallows both
        return False


def uri_password_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of every URI password in ``text`` (rule 2), overlapping allowed.

    The user information of a URI ends at its *last* ``@``: an unencoded ``@``, ``/`` or
    ``:`` in a password then masks too much rather than too little.
    """
    spans = []
    start = text.find("://")
    while start != -1:
        begin = start + 3
        line_end = text.find("\n", begin)
        at = text.rfind("@", begin, len(text) if line_end == -1 else line_end)
        if at != -1:
            colon = text.find(":", begin, at)
            if colon != -1:
                spans.append((colon + 1, at))
        start = text.find("://", begin)
    spans.extend((match.start(1), match.end(1)) for match in _QUERY_PASSWORD.finditer(text))
    return [(begin, end) for begin, end in spans if end > begin]


def redact_uri(text: str) -> str:
    """``text`` with the password of every URI in it masked."""
    if "://" not in text and "=" not in text:
        return text
    spans = sorted(uri_password_spans(text))
    if not spans:
        return text
    merged: list[list[int]] = []
    for begin, end in spans:
        if merged and begin <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([begin, end])
    pieces, position = [], 0
    for begin, end in merged:
        pieces.append(text[position:begin])
        pieces.append(MASK)
        position = end
    pieces.append(text[position:])
    return "".join(pieces)


def spellings(secret: str) -> set[str]:
    """The ways ``secret`` may be written in a URI, JSON, a repr (of text or of its UTF-8 bytes),
    a libpq conninfo string or escaped terminal text.

    None for blanks and runs of ``*``: they look like the mask and reveal nothing.
    """
    if not secret.strip("* \t\r\n"):
        return set()
    forms = {secret, secret.strip(), unquote(secret), unquote_plus(secret)}
    for form in list(forms):
        forms.update(
            {
                quote(form, safe=""),
                quote(form),
                quote_plus(form),
                json.dumps(form)[1:-1],
                json.dumps(form, ensure_ascii=False)[1:-1],
                repr(form)[1:-1],
                escape(form),
                conninfo(form),
                repr(form.encode("utf-8", "surrogatepass"))[2:-1],
            }
        )
    for form in list(forms):  # the secret may itself be the escaped spelling of a value
        with contextlib.suppress(ValueError):
            forms.add(json.loads(f'"{form}"'))
    return {form for form in forms if form.strip("* \t\r\n")}


def conninfo(text: str) -> str:
    """``text`` as a libpq connection string quotes a value (``password='it\\'s'``)."""
    return text.replace("\\", "\\\\").replace("'", "\\'")


def escape(text: str) -> str:
    """``text`` safe for a terminal: control characters and lone surrogates as escapes."""
    if text.isprintable():
        return text
    return "".join(
        char if char.isprintable() else char.encode("unicode_escape", "backslashreplace").decode()
        for char in text
    )


class Masker:
    """Collects the secrets of credentials and settings, then masks them in data and text."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._ordered: list[str] | None = None

    def __repr__(self) -> str:
        return f"Masker({len(self._secrets)} secrets)"

    def add(self, secret: str) -> None:
        """Remember one secret value, in all its spellings."""
        found = spellings(secret)
        if not found <= self._secrets:
            self._secrets |= found
            self._ordered = None

    def learn(self, value: Any, key: str = "") -> None:
        """Remember every secret in a credentials (or settings) structure, by rules 1 and 2."""
        stack: list[tuple[str, Any, int]] = [(key, value, 0)]
        while stack:
            key, value, depth = stack.pop()
            if isinstance(value, dict):
                if depth < _MAX_DEPTH:
                    stack.extend((str(k), v, depth + 1) for k, v in value.items())
            elif isinstance(value, (list, tuple)):
                if depth < _MAX_DEPTH:
                    stack.extend((key, item, depth + 1) for item in value)
            elif isinstance(value, str):
                if hides(key, value):
                    self.add(value)
                for begin, end in uri_password_spans(value):
                    self.add(value[begin:end])
            elif (
                isinstance(value, (int, float))
                and not isinstance(value, bool)
                and hides(key, value)
            ):
                self.add(str(value))

    def _present(self, text: str, candidates: list[str] | None = None) -> list[str]:
        if self._ordered is None:
            self._ordered = sorted(
                (secret for secret in self._secrets if len(secret) >= MIN_SUBSTRING),
                key=lambda secret: (-len(secret), secret),
            )
        pool = self._ordered if candidates is None else candidates
        return [secret for secret in pool if secret in text]

    def scrub(self, text: str, candidates: list[str] | None = None) -> str:
        """``text`` (a value, or a whole report) with every known secret masked.

        ``candidates`` (the secrets present somewhere in a whole structure, longest first)
        saves testing every secret against every value of a large report.
        """
        present = self._present(text, candidates)
        while present:  # a replacement can complete another secret (it ends in "*")
            for secret in present:
                text = text.replace(secret, MASK)
            present = self._present(text)
        return text

    def _value(self, text: str, candidates: list[str] | None) -> str:
        if text in self._secrets or text.strip() in self._secrets:
            return MASK
        return self.scrub(text, candidates)

    def data(self, value: Any, keys: bool = False) -> Any:
        """A copy of ``value`` (dicts, lists, scalars) with every secret masked; dict keys
        too with ``keys`` (settings' keys are data, a report's keys are its schema)."""
        structural = self._structural(value, "", 0)
        candidates = self._present("\0".join(_strings(structural)))
        return self._replace(structural, keys, candidates)

    def _structural(self, value: Any, key: str, depth: int) -> Any:
        if depth > _MAX_DEPTH:
            return MASK
        if isinstance(value, dict):
            return {
                k: MASK if hides(str(k), v) else self._structural(v, str(k), depth + 1)
                for k, v in value.items()
            }
        if isinstance(value, (list, tuple)):
            return [self._structural(item, key, depth + 1) for item in value]
        if isinstance(value, str):
            return redact_uri(value)
        if value is None or isinstance(value, (bool, int, float)):
            return value
        return redact_uri(str(value))  # paths, lazy strings: shown as text

    def _replace(self, value: Any, keys: bool, candidates: list[str]) -> Any:
        if isinstance(value, dict):
            return {
                self._value(k, candidates) if keys and isinstance(k, str) else k: self._replace(
                    v, keys, candidates
                )
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [self._replace(item, keys, candidates) for item in value]
        if isinstance(value, str):
            return self._value(value, candidates)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return MASK if self._value(str(value), candidates) != str(value) else value
        return value


def _strings(value: Any) -> Iterator[str]:
    """Every key and scalar of an (already depth-bounded) structure, as text."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, child in item.items():
                yield str(key)
                stack.append(child)
        elif isinstance(item, list):
            stack.extend(item)
        elif item is not None:
            yield str(item)
