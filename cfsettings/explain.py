"""Explain what cfsettings decided and why: ``python -m cfsettings`` and ``manage.py cf_settings``.

For every bound service: its name, label and tags, the kind it was recognised as and the rule
that decided (or why it was ignored, or what is wrong with it), and the aliases it became;
then the ``DATABASES``, ``CACHES`` and ``ALLOWED_HOSTS`` that result. Every secret is masked
(see ``redact``) before anything is printed, and a broken binding is reported rather than
raised: a failing deploy is exactly when this is needed.

The report is plain data (``build_report``), printed as text for people or as JSON for
machines. Nothing is written to disk: certificates go to a temporary directory, and their
paths are shown where the app would write them.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
from collections.abc import Callable, Mapping
from typing import Any, Protocol, TextIO

from django.core.exceptions import ImproperlyConfigured

from . import __version__
from .aliases import pick_default, requested_defaults
from .bindings import (
    MAX_DEPTH,
    MAX_DOCUMENT_BYTES,
    SERVICE_BINDING_ROOT,
    SOURCES,
    VCAP_APPLICATION,
    VCAP_SERVICES,
    VCAP_SERVICES_FILE_PATH,
    binding_source,
    nested_deeper_than,
    read_application,
    read_services,
    read_text_file,
)
from .cache import DEFAULT_CACHE_VARIABLE, REDIS_URL, caches
from .credentials import read_endpoint
from .database import DATABASE_URL, DEFAULT_DATABASE_VARIABLE, databases
from .errors import improperly_configured
from .hosts import INTERNAL_IP_VARIABLE, allowed_hosts
from .matching import (
    CACHE_KINDS,
    DATABASE_KINDS,
    MEMCACHED,
    MYSQL,
    POSTGRESQL,
    REDIS,
    Ignored,
    Match,
    classify,
)
from .redact import Redactor, escape
from .tls import CERT_DIR_VARIABLE, default_cert_dir

KIND_NAMES = {MYSQL: "MySQL", POSTGRESQL: "PostgreSQL", REDIS: "Redis", MEMCACHED: "Memcached"}
WIDTH = 80

#: The variables of ``cf env``'s "User-Provided" section that change cfsettings' decisions.
USER_VARIABLES = (
    DATABASE_URL,
    REDIS_URL,
    DEFAULT_DATABASE_VARIABLE,
    DEFAULT_CACHE_VARIABLE,
    INTERNAL_IP_VARIABLE,
)

#: What each kind of setting is called, the variables that steer it, and how it is built.
FAMILIES = {
    "DATABASES": (DATABASE_KINDS, DEFAULT_DATABASE_VARIABLE, DATABASE_URL, "database"),
    "CACHES": (CACHE_KINDS, DEFAULT_CACHE_VARIABLE, REDIS_URL, "cache"),
}


def build_report(
    environ: Mapping[str, str],
    *,
    settings: Any = None,
    origin: str = "the environment",
    redactor: Redactor | None = None,
) -> dict[str, Any]:
    """Everything explain shows, as JSON-ready data with every secret masked.

    ``settings`` (Django's, for ``manage.py cf_settings``) shows the project's own
    ``DATABASES``, ``CACHES`` and ``ALLOWED_HOSTS``; without it they are computed from
    ``environ`` with cfsettings' defaults, as ``settings.py`` would get them with no arguments.
    ``redactor`` ends up knowing every secret seen, for a last pass over the printed text.
    """
    redactor = Redactor() if redactor is None else redactor
    for variable in (DATABASE_URL, REDIS_URL):
        redactor.learn(environ.get(variable, ""))
    saved = dict(requested_defaults)  # explain must not change what the checks read
    try:
        with tempfile.TemporaryDirectory(prefix="cfsettings-explain-") as scratch:
            cert_dir = os.path.join(scratch, "certs")
            report = _collect(environ, settings, origin, redactor, cert_dir)
            masked = redactor.data(report)
            for name in ("DATABASES", "CACHES", "ALLOWED_HOSTS"):  # aliases, option names
                masked["settings"][name] = redactor.data(report["settings"][name], keys=True)
    finally:
        requested_defaults.clear()
        requested_defaults.update(saved)
    shown_dir = environ.get(CERT_DIR_VARIABLE) or default_cert_dir()
    result: dict[str, Any] = _replace_prefix(masked, cert_dir, shown_dir)
    return result


def _collect(
    environ: Mapping[str, str],
    settings: Any,
    origin: str,
    redactor: Redactor,
    cert_dir: str,
) -> dict[str, Any]:
    errors: list[str] = []
    source, ignored = binding_source(environ)
    report: dict[str, Any] = {
        "cfsettings": __version__,
        "origin": origin,
        "bindings": {
            "source": source,
            "location": environ[source].strip() if source and source != VCAP_SERVICES else None,
            "ignored": ignored,
            "precedence": list(SOURCES),
            "error": None,
        },
        "cloud_foundry": _platform(environ, errors),
        "services": [],
        "defaults": {},
        "settings": {"from": "settings.py" if settings is not None else "cfsettings defaults"},
        "errors": errors,
    }
    try:
        services = read_services(environ)
    except ImproperlyConfigured as exc:
        report["bindings"]["error"] = str(exc)
        errors.append(str(exc))
        services = []
    for service in services:
        redactor.learn(service.credentials)

    decisions: list[Match] = []
    for service in services:
        entry: dict[str, Any] = {
            "name": service.name,
            "label": service.label,
            "tags": list(service.tags),
            "plan": service.plan,
            "source": service.source,
            "kind": None,
            "rule": None,
            "ignored": None,
            "error": None,
            "aliases": [],
        }
        report["services"].append(entry)
        try:
            decision = classify(service)
            if isinstance(decision, Ignored):
                entry["ignored"] = decision.reason
                continue
            entry["kind"], entry["rule"] = decision.kind, decision.rule
            endpoint = read_endpoint(decision)
            if endpoint.password:
                redactor.add(endpoint.password)
            decisions.append(decision)
        except ImproperlyConfigured as exc:
            entry["error"] = str(exc)
            errors.append(str(exc))

    computed = _settings(environ, settings, cert_dir, errors)
    for name in ("DATABASES", "CACHES"):
        redactor.learn(computed.get(name))
        report["defaults"][name] = _default(name, environ, decisions, computed, settings, report)
    report["settings"].update(computed)
    return report


def _platform(environ: Mapping[str, str], errors: list[str]) -> dict[str, Any]:
    try:
        application = read_application(environ)
    except ImproperlyConfigured as exc:
        errors.append(str(exc))
        return {"running": True, "application": None, "error": str(exc)}
    if application is None:
        return {"running": False, "application": None, "error": None}
    name = application.get("application_name", application.get("name"))
    return {
        "running": True,
        "application": name if isinstance(name, str) else None,
        "error": None,
    }


def _settings(
    environ: Mapping[str, str],
    settings: Any,
    cert_dir: str,
    errors: list[str],
) -> dict[str, Any]:
    """The three settings, each either its value or ``{"error": message}``."""
    builders: dict[str, Callable[[], Any]]
    if settings is not None:
        builders = {
            name: (lambda name=name: getattr(settings, name, None))  # type: ignore[misc]
            for name in ("DATABASES", "CACHES", "ALLOWED_HOSTS")
        }
    else:
        builders = {
            "DATABASES": lambda: databases(environ=environ, cert_dir=cert_dir),
            "CACHES": lambda: caches(environ=environ, cert_dir=cert_dir),
            "ALLOWED_HOSTS": lambda: allowed_hosts(environ=environ),
        }
    result: dict[str, Any] = {}
    for name, build in builders.items():
        try:
            result[name] = build()
        except ImproperlyConfigured as exc:
            message = str(exc)
            result[name] = {"error": message}
            if message not in errors:
                errors.append(message)
    return result


def _default(
    name: str,
    environ: Mapping[str, str],
    decisions: list[Match],
    computed: dict[str, Any],
    settings: Any,
    report: dict[str, Any],
) -> dict[str, Any]:
    """Which service became ``default`` for DATABASES or CACHES, and why; sets the aliases."""
    kinds, variable, url_variable, noun = FAMILIES[name]
    matches = [match for match in decisions if match.kind in kinds]
    url_set = bool(environ.get(url_variable, "").strip())
    value = computed.get(name)
    result: dict[str, Any] = {"service": None, "why": "", url_variable: None}
    if not matches:
        result[url_variable] = "used" if url_set else "not set"
        result["why"] = (
            f"no {noun} service is bound; {url_variable} is used"
            if url_set
            else f"no {noun} service is bound and {url_variable} is not set, so the fallback "
            "is used"
        )
        return result
    result[url_variable] = (
        f"set, but ignored: bound {noun} services come first" if url_set else "not set"
    )
    requested = environ.get(variable, "").strip() or None
    if settings is not None and requested is None:
        requested = requested_defaults.get(variable)
    try:
        chosen = pick_default(matches, requested, variable)
    except ImproperlyConfigured as exc:
        result["why"] = str(exc)
        return result
    names = sorted(match.service.name for match in matches)
    if environ.get(variable, "").strip():
        why = f"named by {variable}"
    elif requested:
        why = f"named by {noun}s(default=...) in settings.py"
    elif len(matches) == 1:
        why = f"the only {noun} service"
    else:
        why = f"first by name of {', '.join(repr(n) for n in names)}; set {variable} to choose"
    result.update(service=chosen.service.name, why=why)
    built = value if isinstance(value, dict) and not _failed(value) else {}
    for entry in report["services"]:
        if entry["name"] in names and entry["name"] in built:
            aliases = [entry["name"]]
            if entry["name"] == chosen.service.name and _same(
                built.get("default"), built[entry["name"]]
            ):
                aliases.insert(0, "default")
            entry["aliases"] = [f"{name}[{alias!r}]" for alias in aliases]
    return result


def _failed(value: Any) -> bool:
    """Whether a setting is the ``{"error": message}`` of one that could not be built."""
    return isinstance(value, dict) and set(value) == {"error"}


def _same(default: Any, entry: Any) -> bool:
    """Whether ``default`` is a copy of ``entry`` (a database's copy lacks its TEST mirror)."""
    if not isinstance(default, dict) or not isinstance(entry, dict):
        return False
    return {k: v for k, v in default.items() if k != "TEST"} == {
        k: v for k, v in entry.items() if k != "TEST"
    }


def _replace_prefix(value: Any, old: str, new: str) -> Any:
    """``value`` with every string starting with ``old`` (a scratch directory) made ``new``."""
    if isinstance(value, dict):
        return {key: _replace_prefix(item, old, new) for key, item in value.items()}
    if isinstance(value, list):
        return [_replace_prefix(item, old, new) for item in value]
    if isinstance(value, str) and value.startswith(old):
        return new + value[len(old) :]
    return value


# --- reading ``cf env`` output and friends ---------------------------------------------------

_SYSTEM_LINE = re.compile(r"^(VCAP_SERVICES|VCAP_APPLICATION):\s*(?=[{\[])", re.MULTILINE)
_OBJECT_LINE = re.compile(r"^\{", re.MULTILINE)
_USER_LINE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*): ?(.*)$")


def read_vcap_file(path: str, stdin: TextIO | None = None) -> dict[str, str]:
    """The environment described by ``path`` (``-``: standard input), for ``--vcap-file``."""
    if path == "-":
        stream = stdin if stdin is not None else sys.stdin
        text = stream.read(MAX_DOCUMENT_BYTES + 1)
        where = "--vcap-file - (standard input)"
        if len(text) > MAX_DOCUMENT_BYTES:
            raise improperly_configured(
                f"{where} is larger than {MAX_DOCUMENT_BYTES // (1024 * 1024)} MiB; "
                "cfsettings refuses to read it."
            )
    else:
        where = f"--vcap-file {path!r}"
        text = read_text_file(path, where)
    return parse_vcap_text(text.lstrip("\ufeff"), where)


def parse_vcap_text(text: str, where: str) -> dict[str, str]:
    """An environment from a ``VCAP_SERVICES`` document, a ``{"VCAP_SERVICES": ...}`` object,
    the ``cf curl /v3/apps/GUID/env`` answer, or what ``cf env APP`` prints."""
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        return _parse_cf_env(text, where)
    if not isinstance(document, dict):
        return {VCAP_SERVICES: text}  # read_services will say what is wrong with it
    return _environment_of(document, where) or {VCAP_SERVICES: text}


def _as_text(value: Any, where: str) -> str:
    """A JSON value as text again, refusing (before ``json.dumps`` recurses) deep nesting."""
    if nested_deeper_than(value, MAX_DEPTH):
        raise improperly_configured(
            f"{where} is nested more than {MAX_DEPTH} levels deep; cfsettings refuses to read it."
        )
    return json.dumps(value)


def _environment_of(document: dict[str, Any], where: str) -> dict[str, str]:
    """The ``VCAP_*`` (and steering) variables of an env-shaped JSON object, as text."""
    merged: dict[str, Any] = {}
    for section in ("system_env_json", "application_env_json", "environment_variables"):
        if isinstance(document.get(section), dict):
            merged.update(document[section])
    merged.update(
        (key, value)
        for key, value in document.items()
        if key in (VCAP_SERVICES, VCAP_APPLICATION, *USER_VARIABLES)
    )
    environment = {}
    for key in (VCAP_SERVICES, VCAP_APPLICATION, *USER_VARIABLES):
        if key in merged:
            value = merged[key]
            environment[key] = (
                value if isinstance(value, str) else _as_text(value, f"{where}: {key}")
            )
    return environment


def _parse_cf_env(text: str, where: str) -> dict[str, str]:
    """Find the JSON objects in ``cf env`` output (CLI v6 prints ``{"VCAP_SERVICES": ...}``
    objects, v7 and later ``VCAP_SERVICES: {...}`` lines) and its user-provided variables."""
    decoder = json.JSONDecoder()
    environment: dict[str, str] = {}
    position = 0
    while True:
        named = _SYSTEM_LINE.search(text, position)
        bare = _OBJECT_LINE.search(text, position)
        if named is None and bare is None:
            break
        if named is not None and (bare is None or named.end() < bare.start()):
            start, label = named.end(), named.group(1)
        else:
            assert bare is not None
            start, label, named = bare.start(), "a JSON object", None
        try:
            value, end = decoder.raw_decode(text, start)
        except (ValueError, RecursionError):
            line = text.count("\n", 0, start) + 1
            raise improperly_configured(
                f"{where}: {label} on line {line} is not valid JSON."
            ) from None
        if named is not None:
            environment[label] = _as_text(value, f"{where}: {label}")
        else:  # decoding from a "{" yields an object
            environment.update(_environment_of(value, where))
        position = end
    environment.update(_user_provided(text))
    if (
        VCAP_SERVICES not in environment
        and VCAP_APPLICATION not in environment
        and "System-Provided:" not in text
        and "No system-provided env" not in text
    ):
        raise improperly_configured(f"{where} holds neither JSON nor the output of `cf env`.")
    return environment


def _user_provided(text: str) -> dict[str, str]:
    """The steering variables of ``cf env``'s "User-Provided:" section."""
    found: dict[str, str] = {}
    inside = False
    for line in text.splitlines():
        if line.strip() == "User-Provided:":
            inside = True
        elif inside and not line.strip():
            inside = False
        elif inside:
            match = _USER_LINE.match(line)
            if match and match.group(1) in USER_VARIABLES:
                found[match.group(1)] = match.group(2)
    return found


# --- text ------------------------------------------------------------------------------------


def render_json(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2, sort_keys=False) + "\n"


def render_text(report: dict[str, Any]) -> str:
    """The report for a person, in 80 columns."""
    lines = _wrap("", f"cfsettings {report['cfsettings']}: settings from {report['origin']}")
    lines.append("")
    bindings = report["bindings"]
    if bindings["source"] is None:
        lines.extend(
            _wrap("Bindings: ", f"none ({', '.join(bindings['precedence'])} are all unset)")
        )
    else:
        where = f" ({_show(bindings['location'])})" if bindings["location"] else ""
        lines.append(f"Bindings: read from {bindings['source']}{where}")
        if bindings["ignored"]:
            lines.append(
                f"  ignored: {', '.join(bindings['ignored'])} (precedence: "
                f"{' > '.join(bindings['precedence'])})"
            )
    if bindings["error"]:
        lines.extend(_wrap("  error: ", _show(bindings["error"])))
    platform = report["cloud_foundry"]
    if platform["error"]:
        lines.extend(_wrap("Cloud Foundry: ", _show(platform["error"])))
    elif platform["running"]:
        app = f", app {_show(platform['application'])!r}" if platform["application"] else ""
        lines.append(f"Cloud Foundry: yes (VCAP_APPLICATION is set{app})")
    else:
        lines.append("Cloud Foundry: no (VCAP_APPLICATION is not set)")

    services = report["services"]
    lines += ["", f"Services ({len(services)})"]
    if not services:
        lines.append("  (none bound)")
    for entry in services:
        lines += ["", f"  {_show(entry['name'])}"]
        details = [f"label: {_show(entry['label']) or '(none)'}"]
        if entry["plan"]:
            details.append(f"plan: {_show(entry['plan'])}")
        details.append(f"tags: {', '.join(_show(tag) for tag in entry['tags']) or '(none)'}")
        lines.extend(_wrap("    ", "   ".join(details)))
        if entry["kind"]:
            lines.extend(
                _wrap("    is ", f"{KIND_NAMES[entry['kind']]}, by {_show(entry['rule'])}")
            )
        if entry["ignored"]:
            lines.extend(_wrap("    ignored: ", _show(entry["ignored"])))
        if entry["error"]:
            lines.extend(_wrap("    error: ", _show(entry["error"])))
        if entry["aliases"]:
            lines.extend(_wrap("    becomes ", " and ".join(_show(a) for a in entry["aliases"])))

    lines.append("")
    for name, (_, _, url_variable, noun) in FAMILIES.items():
        default = report["defaults"][name]
        if default["service"]:
            lines.extend(
                _wrap(
                    f"Default {noun}: ",
                    f"{_show(default['service'])!r} ({_show(default['why'])})",
                )
            )
        else:
            lines.extend(_wrap(f"Default {noun}: ", _show(default["why"])))
        if default["service"] and default[url_variable] != "not set":
            lines.extend(_wrap(f"  {url_variable}: ", default[url_variable]))

    settings = report["settings"]
    for name in ("DATABASES", "CACHES", "ALLOWED_HOSTS"):
        lines += ["", f"{name} ({settings['from']})"]
        value = settings.get(name)
        if _failed(value):
            lines.extend(_wrap("  not built: ", _show(value["error"])))
        elif isinstance(value, dict):
            lines.extend(_aliases(value))
        elif isinstance(value, (list, tuple)):
            lines.extend(_wrap("  ", ", ".join(_show(str(host)) for host in value) or "(empty)"))
        else:
            lines.append(f"  {_show(repr(value))}")

    if report["errors"]:
        lines += ["", f"Problems ({len(report['errors'])})"]
        for message in report["errors"]:
            lines.extend(_wrap("  - ", _show(message)))
    return "\n".join(lines) + "\n"


def _show(value: Any) -> str:
    return escape(value if isinstance(value, str) else str(value))


def _aliases(value: dict[Any, Any]) -> list[str]:
    """DATABASES or CACHES, with ``default`` shown as "same as" the alias it copies."""
    copied = next(
        (
            alias
            for alias in value
            if alias != "default" and _same(value.get("default"), value[alias])
        ),
        None,
    )
    if copied is None:
        return _tree(value, 1)
    rest = {alias: entry for alias, entry in value.items() if alias != "default"}
    return [f"  default: same as {_show(copied)!r}", *_tree(rest, 1)]


def _tree(value: dict[Any, Any], depth: int) -> list[str]:
    lines: list[str] = []
    indent = "  " * depth
    for key, item in value.items():
        if isinstance(item, dict) and item:
            lines.append(f"{indent}{_show(key)}:")
            lines.extend(_tree(item, depth + 1))
        else:
            shown = _show(item) if isinstance(item, str) and item else _show(repr(item))
            lines.extend(_wrap(f"{indent}{_show(key)}: ", shown))
    return lines


def _wrap(prefix: str, text: str) -> list[str]:
    """``prefix + text`` in lines of at most ``WIDTH``, broken after spaces or commas; a
    word longer than a line (a host name) is kept whole rather than cut."""
    room = max(WIDTH - len(prefix), 20)
    if len(text) <= room:
        return [prefix + text]
    pieces = re.findall(r"[^ ,]*[ ,]*", text)
    lines: list[str] = []
    current = ""
    for piece in pieces:
        if current and len(current) + len(piece.rstrip()) > room:
            lines.append(current.rstrip())
            current = ""
        current += piece
    if current.strip():
        lines.append(current.rstrip())
    indent = " " * len(prefix)
    return [prefix + lines[0]] + [indent + line for line in lines[1:]]


# --- command line ----------------------------------------------------------------------------


def add_arguments(parser: Any) -> None:
    """The options ``python -m cfsettings`` and ``manage.py cf_settings`` share."""
    parser.add_argument("--json", action="store_true", help="print JSON, for machines")
    parser.add_argument(
        "--vcap-file",
        metavar="PATH",
        help="read the bindings from PATH instead of the environment: a VCAP_SERVICES "
        "document, or what `cf env APP` prints; '-' reads standard input",
    )


class Writer(Protocol):
    """Where the report goes: a text stream, or Django's ``OutputWrapper``."""

    def write(self, text: str, /) -> Any: ...


def run(
    options: Mapping[str, Any],
    stdout: Writer,
    *,
    environ: Mapping[str, str] | None = None,
    settings: Any = None,
    stdin: TextIO | None = None,
) -> int:
    """Print the report; 0 when nothing is wrong, 1 when something is (and the report says
    what). With ``--vcap-file`` the file is the whole environment and ``settings`` is unused."""
    redactor = Redactor()
    vcap_file = options.get("vcap_file")
    try:
        if vcap_file:
            environ = read_vcap_file(vcap_file, stdin)
            settings, origin = None, f"--vcap-file {vcap_file!r}"
        else:
            environ = os.environ if environ is None else environ
            origin = "settings.py" if settings is not None else "the environment"
    except ImproperlyConfigured as exc:
        stdout.write(f"cfsettings: {exc}\n")  # names the file, never its content
        return 1
    report = build_report(environ, settings=settings, origin=origin, redactor=redactor)
    # JSON is masked value by value already (a pass over its text could turn `true` or a
    # number into invalid JSON); text also gets a last pass over the words around the values.
    stdout.write(
        render_json(report) if options.get("json") else redactor.scrub(render_text(report))
    )
    return 1 if report["errors"] else 0


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m cfsettings",
        description="Show which bound services cfsettings recognised, why, and the "
        "DATABASES, CACHES and ALLOWED_HOSTS that result, with every secret masked.",
    )
    add_arguments(parser)
    options = parser.parse_args(argv)
    return run(vars(options), sys.stdout)


__all__ = [
    "SERVICE_BINDING_ROOT",
    "VCAP_SERVICES_FILE_PATH",
    "build_report",
    "main",
    "parse_vcap_text",
    "read_vcap_file",
    "render_json",
    "render_text",
    "run",
]
