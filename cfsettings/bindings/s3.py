"""Read an S3-compatible bucket from one service's credentials.

Brokers and users spell a bucket several ways; all become one ``Bucket``:

- Cloud Service Broker's ``csb-aws-s3-bucket``: ``bucket_name``, ``region``, ``access_key_id``,
  ``secret_access_key`` (its ``arn`` and ``bucket_domain_name`` are not needed);
- cloud.gov's ``s3``: ``bucket``, ``region``, the keys, an ``s3://`` ``uri``, a
  ``fips_endpoint`` (used when present: it is the endpoint federal systems must use) and
  ``additional_buckets`` (more buckets reachable with the same keys);
- user-provided MinIO, Ceph RGW, Dell ECS: an ``endpoint`` (or ``uri``/``url``, ``host`` and
  ``port``), the keys and a bucket; or one ``s3://ACCESS:SECRET@host:port/bucket?region=..``;
- Google Cloud Storage HMAC keys: its XML API endpoint when the binding names none.

A discrete field wins over the same fact inside the URI. Endpoints other than AWS's get
path-style addressing, which MinIO and Ceph need without wildcard DNS.
"""

from __future__ import annotations

from typing import Final
from urllib.parse import parse_qsl, unquote

from cfsettings.bindings.classify import Match
from cfsettings.bindings.reading import Reader
from cfsettings.bindings.vocabulary import S3_ACCESS_KEYS, S3_BUCKET_KEYS, S3_SECRET_KEYS

URI_KEYS = ("uri", "url", "s3_uri", "s3_url", "s3uri", "s3url")
ENDPOINT_KEYS = ("endpoint", "endpoint_url", "endpointurl", "s3_endpoint", "host", "hostname")
ACCESS_KEYS = (*S3_ACCESS_KEYS, "accesskey", "accesskeyid")
SECRET_KEYS = (*S3_SECRET_KEYS, "secretkey", "secretaccesskey")
BUCKET_KEYS = (*S3_BUCKET_KEYS, "bucketname")
REGION_KEYS = ("region", "region_name", "aws_region")
SECURE_KEYS = ("secure", "ssl", "tls", "use_ssl")
GOOGLE_ENDPOINT = "https://storage.googleapis.com"
#: Google's XML API signs with any region name; "auto" is the one its documentation uses.
GOOGLE_REGION = "auto"
AWS_SUFFIX = ".amazonaws.com"


class Bucket:
    """Where one bound bucket is and how to sign for it. ``repr`` hides both keys."""

    __slots__ = (
        "access_key",
        "additional",
        "endpoint_url",
        "name",
        "path_style",
        "region",
        "secret_key",
        "service",
    )

    def __init__(
        self,
        service: str,
        name: str,
        access_key: str = "",
        secret_key: str = "",
        region: str | None = None,
        endpoint_url: str | None = None,
        path_style: bool = False,
        additional: tuple[str, ...] = (),
    ) -> None:
        self.service: Final = service
        self.name: Final = name
        self.access_key: Final = access_key
        self.secret_key: Final = secret_key
        self.region: Final = region
        self.endpoint_url: Final = endpoint_url
        self.path_style: Final = path_style
        #: More buckets the same keys reach (``additional_buckets``).
        self.additional: Final = additional

    def other(self, name: str) -> Bucket:
        """Bucket ``name`` of the same service, reached with the same keys and endpoint."""
        return Bucket(
            self.service,
            name,
            self.access_key,
            self.secret_key,
            self.region,
            self.endpoint_url,
            self.path_style,
        )

    def __repr__(self) -> str:
        return (
            f"Bucket(service={self.service!r}, name={self.name!r}, region={self.region!r}, "
            f"endpoint_url={self.endpoint_url!r}, path_style={self.path_style!r}, "
            f"additional={self.additional!r})"
        )


def read_bucket(match: Match) -> Bucket:
    """Collect a matched service's bucket, or raise naming the service and the field."""
    reader = Reader.of(match)
    uri_key = reader.key(URI_KEYS)
    uri: dict[str, str] = {}
    if uri_key is not None:
        uri = _read_uri(reader, uri_key)
    params = dict(parse_qsl(uri.pop("query", ""), keep_blank_values=True))

    bucket = reader.text(BUCKET_KEYS) or uri.get("bucket")
    if not bucket:
        raise reader.error(
            "the credentials have no bucket (looked for bucket, bucket_name and the path of uri)"
        )
    _check_bucket_name(reader, bucket, reader.key(BUCKET_KEYS) or "uri")
    access = reader.text(ACCESS_KEYS) or uri.get("access", "")
    secret = reader.text(SECRET_KEYS) or uri.get("secret", "")
    if bool(access) != bool(secret):
        missing = "secret_access_key" if access else "access_key_id"
        raise reader.error(f"the credentials have one half of an access key: no {missing}")

    secure = reader.flag(SECURE_KEYS, params)
    endpoint = _endpoint(reader, uri, secure is not False)
    region = reader.text(REGION_KEYS) or params.get("region") or None
    if endpoint is None and _google(match, reader):
        endpoint, region = GOOGLE_ENDPOINT, region or GOOGLE_REGION
    if endpoint is None and region is None:
        raise reader.error(
            "the credentials have no endpoint or region (looked for endpoint, endpoint_url, "
            "host, uri and region)"
        )
    return Bucket(
        service=match.service.name,
        name=bucket,
        access_key=access,
        secret_key=secret,
        region=region,
        endpoint_url=endpoint,
        path_style=endpoint is not None and not _host(endpoint).endswith(AWS_SUFFIX),
        additional=_additional(reader),
    )


def _read_uri(reader: Reader, key: str) -> dict[str, str]:
    """The facts in an ``s3://`` URI; an ``http(s)://`` one is the endpoint."""
    scheme, parts = reader.uri(key, ("s3", "http", "https"))
    if scheme in ("http", "https"):
        return {"endpoint": (reader.text((key,)) or "").rstrip("/")}
    port = parts.port
    found = {"query": parts.query}
    if parts.hostname:
        found["host"] = parts.hostname + (f":{port}" if port else "")
    if parts.username:
        found["access"] = unquote(parts.username)
    if parts.password:
        found["secret"] = unquote(parts.password)
    bucket = unquote(parts.path.strip("/"))
    if bucket:
        found["bucket"] = bucket
    return found


def _endpoint(reader: Reader, uri: dict[str, str], secure: bool) -> str | None:
    """The endpoint URL: a field, then cloud.gov's ``fips_endpoint``, then the URI's host."""
    scheme = "https" if secure else "http"
    key = reader.key(ENDPOINT_KEYS)
    if key is not None:
        text = reader.text((key,)) or ""
        if "://" in text:
            lowered = text.lower()
            if not lowered.startswith(("http://", "https://")):
                raise reader.error(f"'{key}' must be an http:// or https:// URL or a host name")
            return text.rstrip("/")
        port = reader.port(("port",))
        return f"{scheme}://{text}" + (f":{port}" if port else "")
    fips = reader.text(("fips_endpoint",))
    if fips:
        return fips.rstrip("/") if "://" in fips else f"https://{fips}"
    if "endpoint" in uri:
        return uri["endpoint"]
    if "host" in uri and uri["host"] != "s3.amazonaws.com":  # the global name: let the region pick
        return f"{scheme}://{uri['host']}"
    return None


def _host(url: str) -> str:
    return url.split("://", 1)[-1].split("/", 1)[0].rsplit(":", 1)[0].lower()


def _google(match: Match, reader: Reader) -> bool:
    """Google's broker (``google-storage``) or its credential shape (a service account)."""
    return "google" in match.service.label.lower() or "privatekeydata" in reader.fields


def _additional(reader: Reader) -> tuple[str, ...]:
    value = reader.fields.get("additional_buckets")
    if value in (None, ""):
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise reader.error("'additional_buckets' must be a list of bucket names")
    for item in value:
        _check_bucket_name(reader, item, "additional_buckets")
    return tuple(value)


def _check_bucket_name(reader: Reader, name: str, key: str) -> None:
    """Enough to refuse what would break a URL; the store itself judges the rest."""
    if not name or "/" in name or not name.isprintable() or any(c.isspace() for c in name):
        raise reader.error(f"'{key}' is not a bucket name")
