"""The words brokers use: service kinds, URI schemes, tags, labels and credential key names.

Kept in one place so that classifying a service (``classify``) and reading its credentials
(``endpoint``, ``fields``, ``tlsfields``) can never disagree on what a key or scheme means.
Key names are lower case: credentials are compared case-insensitively.
"""

from __future__ import annotations

MYSQL = "mysql"
POSTGRESQL = "postgresql"
REDIS = "redis"
MEMCACHED = "memcached"

DATABASE_KINDS = (MYSQL, POSTGRESQL)
CACHE_KINDS = (REDIS, MEMCACHED)
#: Object storage and mail relays (``storage``, ``email``): classified here, read by
#: ``bindings.s3`` and ``bindings.smtp``.
S3 = "s3"
SMTP = "smtp"
STORAGE_KINDS = (S3,)
EMAIL_KINDS = (SMTP,)

DEFAULT_PORTS = {MYSQL: 3306, POSTGRESQL: 5432, REDIS: 6379, MEMCACHED: 11211}

TAGS: dict[str, tuple[str, ...]] = {
    MYSQL: ("mysql", "mariadb"),
    POSTGRESQL: ("postgres", "postgresql"),
    REDIS: ("redis",),
    MEMCACHED: ("memcache", "memcached"),
    S3: ("s3", "minio"),
    SMTP: ("smtp",),
}
LABEL_PARTS: dict[str, tuple[str, ...]] = {
    MYSQL: ("mysql", "mariadb", "cleardb"),
    POSTGRESQL: ("postgres", "elephantsql"),
    REDIS: ("redis",),
    MEMCACHED: ("memcache", "memcachier"),  # "memcache" also covers memcachedcloud
    S3: ("s3", "minio", "ecs-bucket"),  # csb-aws-s3-bucket, cloud.gov's s3, Dell ECS
    SMTP: ("smtp", "sendgrid"),
}
SCHEMES: dict[str, tuple[str, ...]] = {
    MYSQL: ("mysql", "mysql2", "mariadb"),
    POSTGRESQL: ("postgres", "postgresql", "pgsql"),
    REDIS: ("redis", "rediss"),
    MEMCACHED: ("memcache", "memcached"),
    S3: ("s3",),
    SMTP: ("smtp", "smtps"),
}
JDBC_PREFIXES: dict[str, tuple[str, ...]] = {
    MYSQL: ("jdbc:mysql:", "jdbc:mariadb:"),
    POSTGRESQL: ("jdbc:postgresql:",),
}
#: S3-compatible credentials without tag, label or URI (Google Cloud Storage HMAC keys): a
#: bucket and both halves of an access key.
S3_BUCKET_KEYS = ("bucket", "bucket_name")
S3_ACCESS_KEYS = ("access_key_id", "aws_access_key_id", "access_key", "hmac_access_id")
S3_SECRET_KEYS = ("secret_access_key", "aws_secret_access_key", "secret_key", "hmac_secret")
#: Schemes of links that brokers add beside the connection URI (dashboards, consoles).
WEB_SCHEMES = ("http", "https")
WEB_PREFIXES = tuple(f"{scheme}://" for scheme in WEB_SCHEMES)
SCHEME_KIND = {scheme: kind for kind, schemes in SCHEMES.items() for scheme in schemes}

#: Credential keys holding a URI: ``uri``, ``url`` and every ``<scheme>uri`` /
#: ``<scheme>url`` / ``<scheme>_uri`` / ``<scheme>_url``.
URI_KEYS: tuple[str, ...] = (
    "uri",
    "url",
    *tuple(
        f"{scheme}{sep}{suffix}"
        for scheme in SCHEME_KIND
        for sep in ("", "_")
        for suffix in ("uri", "url")
    ),
)
#: ``jdbc-url``/``r2dbc-url`` are the Kubernetes binding entries (spring-cloud-bindings).
JDBC_KEYS = ("jdbcurl", "jdbc_url", "jdbc-url")
R2DBC_KEYS = ("r2dbc-url", "r2dbcurl", "r2dbc_url")

HOST_KEYS = ("host", "hostname", "db_host", "endpoint_address")
PORT_KEYS = ("port", "db_port")
USER_KEYS = ("username", "user", "uid", "db_user", "db_username", "master_username")
PASSWORD_KEYS = ("password", "pw", "db_password", "master_password")
#: Keys that can only mean the database name: they beat a URI's path (``dbname``).
EXPLICIT_DATABASE_KEYS = ("database", "dbname", "db_name", "database_name", "db")
#: ``name`` is ambiguous: several brokers put the instance or deployment name there.
AMBIGUOUS_DATABASE_KEYS = ("name",)
DATABASE_KEYS: tuple[str, ...] = (*EXPLICIT_DATABASE_KEYS, *AMBIGUOUS_DATABASE_KEYS)

CA_KEYS = ("ca_certificate", "ca_cert", "cacert", "cacrt", "sslrootcert", "ssl_ca", "tls_ca")
CLIENT_CERT_KEYS = ("clientcert", "client_cert", "sslcert", "ssl_cert")
CLIENT_KEY_KEYS = ("clientkey", "client_key", "sslkey", "ssl_key")
TLS_FLAG_KEYS = ("sslrequired", "ssl_required", "ssl", "tls")
#: Spellings of a yes/no flag (``"ssl": "yes"``), as brokers and YAML write them.
TRUE_WORDS = ("true", "yes", "on", "1", "y", "t", "enabled", "required")
FALSE_WORDS = ("false", "no", "off", "0", "n", "f", "disabled")
#: Fields that are TLS modes (Kubernetes binding entries), read as URI parameters would be.
SSLMODE_KEYS = ("sslmode", "ssl-mode", "ssl_mode")
#: A CA bundle named in a JDBC URL (MariaDB Connector/J; p-mysql puts the system bundle there).
CA_PARAMETERS = ("serversslcert",)
#: TLS modes that verify the server's certificate: without a bound CA, the system's is used.
VERIFYING_MODES = ("verify-ca", "verify-full", "verify_ca", "verify_identity")

#: URI query parameters (and their values) that demand TLS, from libpq, MySQL and JDBC.
TLS_ON: dict[str, tuple[str, ...]] = {
    "sslmode": ("require", "verify-ca", "verify-full", "required", "verify_ca", "verify_identity"),
    "ssl-mode": ("required", "verify_ca", "verify_identity"),
    "ssl_mode": ("required", "verify_ca", "verify_identity"),
    "usessl": ("true",),
    "requiressl": ("true",),
    "ssl": ("true", "1"),
}
TLS_OFF: dict[str, tuple[str, ...]] = {
    "sslmode": ("disable", "disabled"),
    "ssl-mode": ("disabled",),
    "ssl_mode": ("disabled",),
    "usessl": ("false",),
}
