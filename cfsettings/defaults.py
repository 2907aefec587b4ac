"""Several bound services of one kind: which becomes ``default``, and every one's alias.

``databases()`` and ``caches()`` share this rule: each matched service is available under
its own name, and one of them also as ``default``.
"""

from __future__ import annotations

from cfsettings.errors import improperly_configured

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from cfsettings.bindings.classify import Match

#: What each caller of ``pick_default`` last asked for, by ``variable`` (``None``: nothing, so
#: the default was picked by name). The system checks read it to tell a chosen default from a
#: picked one, which the resulting settings cannot show.
requested_defaults: dict[str, str | None] = {}


def pick_default(matches: list[Match], requested: str | None, variable: str) -> Match:
    """The match that becomes the ``default`` alias.

    The one named by ``requested`` (the ``default=`` argument or ``variable``), else the only
    one, else a service named ``default``, else the first by service name: binding order is
    not guaranteed, names are. A service named ``default`` is Django's ``default`` alias, so
    requesting another one while it is bound is an error.
    """
    requested_defaults[variable] = requested or None
    by_name = {match.service.name: match for match in matches}
    if requested:
        if requested not in by_name:
            raise improperly_configured(
                f"{variable} (or default=) names {requested!r}, but the bound services of "
                f"that kind are {', '.join(repr(name) for name in sorted(by_name))}."
            )
        chosen = by_name[requested]
    else:
        chosen = by_name.get("default") or by_name[min(by_name)]
    if "default" in by_name and chosen.service.name != "default":
        raise improperly_configured(
            f"{variable} (or default=) names {chosen.service.name!r}, but another bound "
            "service is named 'default', which would take Django's 'default' alias; rename "
            "that service or make it the default."
        )
    return chosen


def bound_aliases(
    matches: list[Match],
    requested: str | None,
    variable: str,
    build: Callable[[Match], dict[str, Any]],
) -> tuple[dict[str, dict[str, Any]], str]:
    """``{"default": ..., <service name>: ...}`` built by ``build``, and the default's name.

    ``default`` is a copy, so changing one entry's ``OPTIONS`` in settings.py does not change
    the other's.
    """
    chosen = pick_default(matches, requested, variable).service.name
    result: dict[str, dict[str, Any]] = {"default": {}}
    for match in matches:
        result[match.service.name] = build(match)
    if chosen != "default":  # a service named "default" is its own alias
        result["default"] = copy_entry(result[chosen])
    return result, chosen


def copy_entry(value: Any) -> Any:
    """A copy of a settings entry in which every dict and list is new; other values are shared.

    What ``copy.deepcopy`` does for settings, without importing ``copy`` (with ``weakref``, it
    costs a fresh worker about 1.5 ms, a tenth of what cfsettings costs it in all).
    """
    if isinstance(value, dict):
        return {key: copy_entry(item) for key, item in value.items()}
    if isinstance(value, list):
        return [copy_entry(item) for item in value]
    return value
