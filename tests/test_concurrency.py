"""``read_process``: ASGI or not, workers, threads, instances: what the start command left."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from cfsettings.concurrency import read_process

WSGI_ARGV = ["/app/.venv/bin/gunicorn", "mysite.wsgi", "--workers", "3"]


@pytest.mark.parametrize(
    ("argv", "server"),
    [
        (["/home/vcap/deps/0/bin/uvicorn", "mysite.asgi:application"], "uvicorn"),
        (["/usr/lib/python3/site-packages/uvicorn/__main__.py", "mysite.asgi:app"], "uvicorn"),
        (["daphne", "-b", "0.0.0.0", "mysite.asgi:application"], "daphne"),
        (["/app/bin/granian", "--interface", "asgi", "mysite.asgi:application"], "granian"),
        (["C:\\venv\\Scripts\\hypercorn.exe", "mysite.asgi:application"], "hypercorn"),
    ],
)
def test_an_asgi_server_in_the_command_line_means_asgi(argv, server):
    process = read_process({}, argv=argv)
    assert process.asgi is True
    assert process.asgi_reason == f"the process was started by {server}"


@pytest.mark.parametrize(
    "argv",
    [
        ["gunicorn", "mysite.asgi:application", "-k", "uvicorn.workers.UvicornWorker"],
        ["gunicorn", "mysite.asgi:application", "-kuvicorn_worker.UvicornWorker"],
        ["gunicorn", "mysite.asgi:application", "--worker-class=uvicorn.workers.UvicornWorker"],
        ["gunicorn", "mysite.asgi:application", "--worker-class", "uvicorn.workers.UvicornWorker"],
    ],
)
def test_gunicorn_with_a_uvicorn_worker_class_means_asgi(argv):
    process = read_process({}, argv=argv)
    assert process.asgi is True
    assert process.asgi_reason.startswith("gunicorn runs the worker class ")
    assert "UvicornWorker" in process.asgi_reason


def test_the_worker_class_may_come_from_gunicorn_cmd_args():
    environ = {"GUNICORN_CMD_ARGS": "--worker-class 'uvicorn.workers.UvicornWorker' -w 4"}
    process = read_process(environ, argv=["gunicorn", "mysite.asgi:application"])
    assert (process.asgi, process.workers) == (True, 4)


def test_gunicorns_own_command_line_beats_gunicorn_cmd_args():
    environ = {"GUNICORN_CMD_ARGS": "--workers=4 --threads=2", "WEB_CONCURRENCY": "9"}
    process = read_process(environ, argv=["gunicorn", "mysite.wsgi", "-w6"])
    assert (process.asgi, process.workers, process.threads) == (False, 6, 2)


def test_a_sync_gunicorn_or_manage_py_is_wsgi():
    for argv in (WSGI_ARGV, ["manage.py", "cf_stage"], []):
        process = read_process({}, argv=argv)
        assert process.asgi is False
        assert "taken as WSGI" in process.asgi_reason


def test_the_argument_beats_the_variable_which_beats_the_command_line():
    uvicorn = ["uvicorn", "mysite.asgi:application"]
    assert read_process({"CFSETTINGS_ASGI": "true"}, asgi=False, argv=uvicorn).asgi is False
    process = read_process({"CFSETTINGS_ASGI": "no"}, argv=uvicorn)
    assert (process.asgi, process.asgi_reason) == (False, "CFSETTINGS_ASGI=no")
    process = read_process({"CFSETTINGS_ASGI": " On "}, argv=WSGI_ARGV)
    assert process.asgi is True
    assert read_process({}, asgi=True, argv=WSGI_ARGV).asgi_reason == "databases(asgi=True)"


def test_workers_threads_and_instances_from_the_environment():
    environ = {"WEB_CONCURRENCY": "3", "GUNICORN_THREADS": "4", "CFSETTINGS_INSTANCES": "5"}
    process = read_process(environ, argv=["manage.py", "check"])
    assert (process.workers, process.threads, process.instances) == (3, 4, 5)
    assert process.as_data()["instances"] == 5
    assert read_process({}, argv=["manage.py"]).as_data() == {
        "asgi": False,
        "asgi_reason": process.asgi_reason,
        "workers": 1,
        "threads": 1,
        "instances": None,
    }


def test_gunicorn_options_of_another_program_are_not_read():
    process = read_process({}, argv=["manage.py", "--workers", "8", "--threads"])
    assert (process.workers, process.threads) == (1, 1)


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"WEB_CONCURRENCY": "two"}, "WEB_CONCURRENCY"),
        ({"GUNICORN_THREADS": "0"}, "GUNICORN_THREADS"),
        ({"CFSETTINGS_INSTANCES": "-1"}, "CFSETTINGS_INSTANCES"),
        ({"GUNICORN_CMD_ARGS": "--workers=x"}, "--workers"),
        ({"GUNICORN_CMD_ARGS": "--threads 'unclosed"}, "GUNICORN_CMD_ARGS"),
        ({"CFSETTINGS_ASGI": "maybe"}, "CFSETTINGS_ASGI"),
    ],
)
def test_bad_values_name_the_variable(environ, named):
    with pytest.raises(ImproperlyConfigured, match=named):
        read_process(environ, argv=["manage.py"])


def test_blank_values_count_as_unset():
    environ = {"WEB_CONCURRENCY": " ", "CFSETTINGS_ASGI": "", "GUNICORN_CMD_ARGS": "  "}
    process = read_process(environ, argv=["manage.py"])
    assert (process.asgi, process.workers) == (False, 1)


def test_the_running_process_is_read_by_default(monkeypatch):
    monkeypatch.setattr("sys.argv", ["/srv/bin/daphne", "mysite.asgi:application"])
    assert read_process({}).asgi is True


def test_asgi_servers_own_worker_counts_are_read():
    for argv in (
        ["uvicorn", "mysite.asgi:application", "--workers", "3"],
        ["granian", "--interface", "asgi", "--workers=3", "mysite.asgi:application"],
    ):
        process = read_process({"WEB_CONCURRENCY": "8"}, argv=argv)
        assert (process.asgi, process.workers) == (True, 3)
