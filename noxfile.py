"""The whole test suite, on every supported Django, plus lint and type checks.

``python3 -m nox`` runs it all; ``python3 -m nox -s "tests(5.2)"`` one Django only.
"""

import nox

nox.options.error_on_missing_interpreters = True
nox.options.reuse_existing_virtualenvs = True

DJANGOS = ["4.2", "5.2"]
EXTRAS = ".[mysql,postgres,redis,memcached,test]"


@nox.session(python="3.11")
@nox.parametrize("django", DJANGOS, ids=DJANGOS)
def tests(session: nox.Session, django: str) -> None:
    session.install(f"Django~={django}.0", "-e", EXTRAS)
    session.run(
        "python",
        "-m",
        "pytest",
        "--cov",
        "--cov-report=",
        "-p",
        "no:cacheprovider",
        *session.posargs,
        env={"COVERAGE_FILE": f".coverage.django{django}"},
    )


@nox.session(python="3.11")
def lint(session: nox.Session) -> None:
    session.install("ruff", "mypy", "django-stubs", "-e", EXTRAS)
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", "cfsettings", "tests", "bench", "noxfile.py")
    session.run("mypy")


@nox.session(python="3.11")
def coverage(session: nox.Session) -> None:
    """Both Djangos together must cover every line and branch of cfsettings."""
    session.install("coverage[toml]")
    session.run("coverage", "combine", "--keep")
    session.run("coverage", "report", "--fail-under=100")


@nox.session(python="3.11")
def docs(session: nox.Session) -> None:
    """The reference in docs/, built offline; a warning (a broken link or toctree) fails it."""
    session.install("sphinx")
    session.run(
        "sphinx-build", "-W", "--keep-going", "-n", "-b", "html", "docs", "docs/_build/html"
    )
