"""A realistic ``VCAP_SERVICES``: what a mid-sized Django app on Cloud Foundry is bound to.

Thirteen services, spelled the way their brokers spell them: Tanzu MySQL (``p.mysql``, with
its ``?reconnect=true`` URI and a ``jdbcUrl``), a Cloud Service Broker PostgreSQL, Tanzu Redis
(``p.redis``, no URI), a user-provided Memcached pool, RabbitMQ, Config Server, Service
Registry, SSO, S3, CredHub and user-provided SMTP, Sentry and a syslog drain. Two databases,
two caches, nine services that are neither.

``document()`` takes the addresses and logins of the two databases so that the throughput
benchmark can point the same document at the servers on this machine; the defaults are made-up
addresses for the settings-cost benchmark, which never connects.
"""

from __future__ import annotations

import json
from urllib.parse import quote

MYSQL_NAME = "guestbook-mysql"
POSTGRES_NAME = "reports-postgres"
REDIS_NAME = "cache-redis"
MEMCACHED_NAME = "fragments-memcached"


def _mysql(host, port, user, password, name):
    uri = f"mysql://{quote(user)}:{quote(password, safe='')}@{host}:{port}/{name}?reconnect=true"
    return {
        "label": "p.mysql",
        "provider": None,
        "plan": "db-small",
        "name": MYSQL_NAME,
        "tags": ["mysql"],
        "instance_guid": "4f8d6a0e-5d43-4a1b-9a5e-2c0bb3d0a9a1",
        "instance_name": MYSQL_NAME,
        "binding_guid": "b1e1b0a2-8f6f-4b35-9c1b-5c4a2f6b7d01",
        "binding_name": None,
        "credentials": {
            "hostname": host,
            "jdbcUrl": (
                f"jdbc:mysql://{host}:{port}/{name}?user={quote(user)}"
                f"&password={quote(password, safe='')}&useSSL=false"
            ),
            "name": name,
            "password": password,
            "port": port,
            "uri": uri,
            "username": user,
        },
        "syslog_drain_url": None,
        "volume_mounts": [],
    }


def _postgres(host, port, user, password, name):
    return {
        "label": "csb-aws-postgresql",
        "provider": None,
        "plan": "small",
        "name": POSTGRES_NAME,
        "tags": ["postgres", "postgresql", "relational"],
        "instance_guid": "0b5e3f0c-2a27-4d0e-8d07-7f4b8c2e2a55",
        "instance_name": POSTGRES_NAME,
        "binding_guid": "c4f8b7de-6a3f-4f7b-8a39-0e4d3c5b9e12",
        "binding_name": None,
        "credentials": {
            "hostname": host,
            "jdbcUrl": (
                f"jdbc:postgresql://{host}:{port}/{name}?user={quote(user)}"
                f"&password={quote(password, safe='')}"
            ),
            "name": name,
            "password": password,
            "port": port,
            "uri": f"postgresql://{quote(user)}:{quote(password, safe='')}@{host}:{port}/{name}",
            "username": user,
        },
        "syslog_drain_url": None,
        "volume_mounts": [],
    }


def _redis(host, port, password):
    return {
        "label": "p.redis",
        "provider": None,
        "plan": "cache-small",
        "name": REDIS_NAME,
        "tags": ["redis", "pivotal", "on-demand"],
        "instance_guid": "7a2c9b54-1f3e-4e8a-b6d1-93c0e5f2a7b3",
        "instance_name": REDIS_NAME,
        "binding_guid": "d2a7c1e9-3b4f-4c8e-9a61-7e5d0b3c2f44",
        "binding_name": None,
        "credentials": {"host": host, "password": password, "port": port},
        "syslog_drain_url": None,
        "volume_mounts": [],
    }


def _user_provided(name, credentials, tags=(), drain=None):
    return {
        "label": "user-provided",
        "name": name,
        "tags": list(tags),
        "instance_guid": "00000000-0000-4000-8000-" + format(sum(map(ord, name)), "012d"),
        "instance_name": name,
        "binding_guid": "11111111-0000-4000-8000-" + format(sum(map(ord, name)), "012d"),
        "binding_name": None,
        "credentials": credentials,
        "syslog_drain_url": drain,
        "volume_mounts": [],
    }


def _brokered(label, name, plan, tags, credentials):
    return {
        "label": label,
        "provider": None,
        "plan": plan,
        "name": name,
        "tags": tags,
        "instance_guid": "22222222-0000-4000-8000-" + format(len(name) * 7919, "012d"),
        "instance_name": name,
        "binding_guid": "33333333-0000-4000-8000-" + format(len(label) * 104729, "012d"),
        "binding_name": None,
        "credentials": credentials,
        "syslog_drain_url": None,
        "volume_mounts": [],
    }


def document(
    mysql=(
        "q-n3s3y1.q-g693.bosh",
        3306,
        "a1b2c3d4e5f6",
        "p@ss:w/rd-Mysql-42",
        "service_instance_db",
    ),
    postgres=(
        "csb-postgres-7f3a.c9akciq32.eu-central-1.rds.amazonaws.com",
        5432,
        "csb_user_4b1c",
        "pG-s3cr3t#2024",
        "csb_db_4b1c",
    ),
    redis=("q-s0.redis-instance.services.internal", 6379, "redis-pw-9f8e7d"),
    memcached=("10.0.4.21:11211", "10.0.4.22:11211"),
) -> dict:
    """The ``VCAP_SERVICES`` document as a dict (``json.dumps`` it for the environment)."""
    return {
        "p.mysql": [_mysql(*mysql)],
        "csb-aws-postgresql": [_postgres(*postgres)],
        "p.redis": [_redis(*redis)],
        "p.rabbitmq": [
            _brokered(
                "p.rabbitmq",
                "events-rabbitmq",
                "single-node",
                ["rabbitmq", "amqp"],
                {
                    "dashboard_url": "https://rmq-4c1d.sys.example.com/#/login/",
                    "hostname": "q-s0.rabbitmq-server.services.internal",
                    "hostnames": ["q-s0.rabbitmq-server.services.internal"],
                    "password": "rmq-pw-77aa",
                    "protocols": {
                        "amqp": {
                            "host": "q-s0.rabbitmq-server.services.internal",
                            "port": 5672,
                            "uri": "amqp://rmq-user:rmq-pw-77aa@q-s0.rabbitmq-server"
                            ".services.internal:5672/vhost-4c1d",
                            "vhost": "vhost-4c1d",
                        }
                    },
                    "uri": "amqp://rmq-user:rmq-pw-77aa@q-s0.rabbitmq-server.services"
                    ".internal/vhost-4c1d",
                    "username": "rmq-user",
                    "vhost": "vhost-4c1d",
                },
            )
        ],
        "p.config-server": [
            _brokered(
                "p.config-server",
                "config",
                "standard",
                ["configuration", "spring-cloud"],
                {
                    "uri": "https://config-4a7e.apps.example.com",
                    "client_id": "config-client-4a7e",
                    "client_secret": "config-secret-55e1",
                    "access_token_uri": "https://p-spring-cloud-services.uaa.sys.example.com"
                    "/oauth/token",
                },
            )
        ],
        "p.service-registry": [
            _brokered(
                "p.service-registry",
                "registry",
                "standard",
                ["eureka", "discovery", "registry", "spring-cloud"],
                {
                    "uri": "https://eureka-9c2b.apps.example.com",
                    "client_id": "registry-client-9c2b",
                    "client_secret": "registry-secret-31f0",
                    "access_token_uri": "https://p-spring-cloud-services.uaa.sys.example.com"
                    "/oauth/token",
                },
            )
        ],
        "p-identity": [
            _brokered(
                "p-identity",
                "sso",
                "corp-sso",
                [],
                {
                    "auth_domain": "https://corp.login.sys.example.com",
                    "client_id": "8d3e7b6a-sso-client",
                    "client_secret": "sso-secret-e4c2",
                    "grant_types": ["authorization_code"],
                },
            )
        ],
        "csb-aws-s3-bucket": [
            _brokered(
                "csb-aws-s3-bucket",
                "uploads-s3",
                "private",
                ["aws", "s3", "storage"],
                {
                    "access_key_id": "AKIAEXAMPLEEXAMPLE00",
                    "secret_access_key": "s3-secret-wJalrXUtnFEMI",
                    "bucket_name": "csb-uploads-2f9d",
                    "region": "eu-central-1",
                    "arn": "arn:aws:s3:::csb-uploads-2f9d",
                },
            )
        ],
        "credhub": [
            _brokered(
                "credhub",
                "app-secrets",
                "default",
                ["credhub"],
                {"credhub-ref": "/c/credhub-service-broker/credhub/6f1b/credentials"},
            )
        ],
        "user-provided": [
            _user_provided(MEMCACHED_NAME, {"servers": ",".join(memcached)}, tags=["memcached"]),
            _user_provided(
                "smtp",
                {
                    "host": "smtp.mailgun.org",
                    "port": 587,
                    "username": "postmaster@mg.example.com",
                    "password": "smtp-pw-0a1b",
                },
            ),
            _user_provided("sentry", {"dsn": "https://4f1e2d@o123456.ingest.sentry.io/7654321"}),
            _user_provided("log-drain", {}, drain="syslog-tls://logs.papertrailapp.com:51234"),
        ],
    }


def vcap_services(**addresses) -> str:
    """``document(**addresses)`` as the JSON text Cloud Foundry puts in ``VCAP_SERVICES``."""
    return json.dumps(document(**addresses))


def count() -> int:
    return sum(len(instances) for instances in document().values())
