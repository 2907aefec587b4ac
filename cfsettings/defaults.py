"""Several bound services of one kind: which becomes ``default``, and how it was chosen.

``databases()`` and ``caches()`` share this rule: each matched service is available under
its own name, and one of them also as ``default``. The choice is a returned value
(:class:`DefaultChoice`), so that explain and the checks can say *how* it was made without
anything being recorded while settings load.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any, Final, TypeVar

from cfsettings.errors import improperly_configured

#: How the default was chosen, strongest first.
ARGUMENT = "argument"  # databases(default=...) / caches(default=...)
VARIABLE = "variable"  # CFSETTINGS_DEFAULT_DATABASE / CFSETTINGS_DEFAULT_CACHE
ONLY = "only"  # the only bound service of its kind
NAMED_DEFAULT = "named default"  # a bound service named 'default'
FIRST_BY_NAME = "first by name"  # several, none chosen: binding order is not guaranteed

Entry = TypeVar("Entry", bound=Mapping[str, Any])


class DefaultChoice:
    """The service that becomes the ``default`` alias, and how (one of the constants above)."""

    __slots__ = ("how", "name")

    def __init__(self, name: str, how: str) -> None:
        self.name: Final = name
        self.how: Final = how

    def __repr__(self) -> str:
        return f"DefaultChoice(name={self.name!r}, how={self.how!r})"


def choose_default(
    names: Sequence[str], *, argument: str | None, variable_value: str | None, variable: str
) -> DefaultChoice:
    """The service among ``names`` that becomes ``default``.

    The one named by ``argument`` (the ``default=`` argument), else by ``variable_value``
    (``variable``'s value), else the only one, else a service named ``default``, else the
    first by name: binding order is not guaranteed, names are. A service named ``default`` is
    Django's ``default`` alias, so requesting another one while it is bound is an error.
    """
    bound = set(names)
    requested = argument or variable_value
    if requested:
        if requested not in bound:
            raise improperly_configured(
                f"{variable} (or default=) names {requested!r}, but the bound services of "
                f"that kind are {', '.join(repr(name) for name in sorted(bound))}."
            )
        choice = DefaultChoice(requested, ARGUMENT if argument else VARIABLE)
    elif len(bound) == 1:
        choice = DefaultChoice(names[0], ONLY)
    elif "default" in bound:
        choice = DefaultChoice("default", NAMED_DEFAULT)
    else:
        choice = DefaultChoice(min(bound), FIRST_BY_NAME)
    if "default" in bound and choice.name != "default":
        raise improperly_configured(
            f"{variable} (or default=) names {choice.name!r}, but another bound "
            "service is named 'default', which would take Django's 'default' alias; rename "
            "that service or make it the default."
        )
    return choice


def with_default(entries: Mapping[str, Entry], chosen: str) -> dict[str, Entry]:
    """``{"default": ..., <service name>: ...}``: ``entries`` with ``default`` first.

    ``default`` is a deep copy, so changing one entry's ``OPTIONS`` in settings.py does not
    change the other's; a service named ``default`` is its own alias.
    """
    result = {"default": entries[chosen]}
    result.update(entries)
    if chosen != "default":
        result["default"] = copy.deepcopy(entries[chosen])
    return result


def same_entry(default: Any, entry: Any) -> bool:
    """Whether ``default`` is a copy of ``entry`` (a database's copy lacks its TEST mirror).

    What explain and the checks see of a choice made in settings.py: the ``default`` entry
    equals the entry of the service that was chosen.
    """
    if not isinstance(default, dict) or not isinstance(entry, dict):
        return False
    return {k: v for k, v in default.items() if k != "TEST"} == {
        k: v for k, v in entry.items() if k != "TEST"
    }


def copied_service(setting: Any, names: Sequence[str]) -> str | None:
    """The first of ``names`` whose entry in ``setting`` the ``default`` entry is a copy of."""
    if not isinstance(setting, dict):
        return None
    for name in names:
        if name in setting and same_entry(setting.get("default"), setting[name]):
            return name
    return None
