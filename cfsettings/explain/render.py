"""Print an explain report as text for people or JSON for machines."""

from __future__ import annotations

import json
import re
from typing import Any

from cfsettings.defaults import same_entry
from cfsettings.explain.report import WIDTH, failed
from cfsettings.masking import escape
from cfsettings.resolve import KIND_NAMES, URL_FAMILIES


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
            lines.extend(_wrap("    is ", f"{_kind(entry['kind'])}, by {_show(entry['rule'])}"))
        for note in entry.get("notes", []):  # sources that disagreed, and which one won
            lines.extend(_wrap("    note: ", _show(note)))
        if entry["ignored"]:
            lines.extend(_wrap("    ignored: ", _show(entry["ignored"])))
        if entry["error"]:
            lines.extend(_wrap("    error: ", _show(entry["error"])))
        if entry["aliases"]:
            lines.extend(_wrap("    becomes ", " and ".join(_show(a) for a in entry["aliases"])))
        plan = entry.get("connections") or {}
        for key in ("pooler", "limit", "pool"):  # said only when there is something to say
            if plan.get(key):
                lines.extend(
                    _wrap(f"    {key}: ", f"{_show(plan[key])} ({_show(plan[key + '_reason'])})")
                )

    lines.append("")
    for family in URL_FAMILIES:
        url_variable, noun = family.url_variable, family.noun
        default = report["defaults"][family.setting]
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
        if failed(value):
            lines.extend(_wrap("  not built: ", _show(value["error"])))
        elif isinstance(value, dict):
            lines.extend(_aliases(value))
        elif isinstance(value, (list, tuple)):
            lines.extend(_wrap("  ", ", ".join(_show(str(host)) for host in value) or "(empty)"))
        else:
            lines.append(f"  {_show(repr(value))}")

    if any(entry["kind"] in ("s3", "smtp") for entry in services):  # buckets and relays
        for name in ("STORAGES", "EMAIL"):
            lines += ["", f"{name} ({settings['from']})"]
            value = settings.get(name)
            if failed(value):
                lines.extend(_wrap("  not built: ", _show(value["error"])))
            else:
                lines.extend(_aliases(value) if isinstance(value, dict) else [f"  {value!r}"])

    lines.extend(_platform(report["platform"]))
    if report["errors"]:
        lines += ["", f"Problems ({len(report['errors'])})"]
        for message in report["errors"]:
            lines.extend(_wrap("  - ", _show(message)))
    return "\n".join(lines) + "\n"


def _platform(platform: dict[str, Any]) -> list[str]:
    """The platform settings (see ``cfsettings.platform.explain``), one line each."""
    where = "on Cloud Foundry" if platform["cloud_foundry"] else "not on Cloud Foundry"
    lines = ["", f"Platform settings ({where})"]
    for row in platform["settings"]:
        value = row["value"]
        shown = json.dumps(value) if isinstance(value, (list, tuple)) else str(value)
        if isinstance(value, dict):  # LOGGING, STORAGES: too long for a line
            shown = "{...} (--json shows it)"
        lines.extend(_wrap(f"  {row['name']}: ", f"{_show(shown)} ({_show(row['source'])})"))
    if platform["ignored_routes"]:
        routes = ", ".join(repr(_show(route)) for route in platform["ignored_routes"])
        lines.extend(_wrap("  routes left out of CSRF_TRUSTED_ORIGINS: ", routes))
    for message in platform["errors"]:
        lines.extend(_wrap("  problem: ", _show(message)))
    return lines


def _show(value: Any) -> str:
    return escape(value if isinstance(value, str) else str(value))


def _aliases(value: dict[Any, Any]) -> list[str]:
    """DATABASES or CACHES, with ``default`` shown as "same as" the alias it copies."""
    copied = next(
        (
            alias
            for alias in value
            if alias != "default" and same_entry(value.get("default"), value[alias])
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


def _kind(kind: str) -> str:
    """The kind's name; a kind the masker changed (a password such as ``postgres`` masks it
    inside ``postgresql``) is shown as masked, never looked up."""
    return KIND_NAMES.get(kind, kind)
