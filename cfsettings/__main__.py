"""``python -m cfsettings``: explain what cfsettings decides in this environment.

No Django project is needed: the settings are computed from the environment (or from
``--vcap-file``) as ``databases()``, ``caches()`` and ``allowed_hosts()`` would compute them.
"""

from cfsettings.explain.cli import main

raise SystemExit(main())
