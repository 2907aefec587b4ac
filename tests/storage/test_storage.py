"""STORAGES from bound buckets: every broker's shape, aliases, defaults and bad input."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from cfsettings import storages
from cfsettings.bindings.classify import Match
from cfsettings.bindings.s3 import Bucket, read_bucket
from cfsettings.bindings.sources import Service
from cfsettings.storage import S3_BACKEND, from_bucket
from tests.fixtures import HOSTILE, HOSTILE_QUOTED, assert_no_secret, service, vcap
from tests.records import data
from tests.storage.fixtures import storage_document

FILESYSTEM = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STATICFILES = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
COMMON = {"file_overwrite": False, "signature_version": "s3v4"}


def s3(**options):
    return {"BACKEND": S3_BACKEND, "OPTIONS": {**options, **COMMON}}


def bucket(credentials, *, label="user-provided", tags=("s3",), name="media"):
    return read_bucket(Match(Service(name, label, list(tags), credentials), "s3", "test"))


def refuse(credentials, **kwargs):
    with pytest.raises(ImproperlyConfigured) as excinfo:
        bucket({"secret_access_key": HOSTILE, **credentials}, **kwargs)
    message = str(excinfo.value)
    assert message.startswith("Service 'media' (s3): ")
    assert_no_secret(message)
    return message.removeprefix("Service 'media' (s3): ")


# --- nothing bound -----------------------------------------------------------------------


def test_nothing_bound_is_the_local_disk_and_djangos_staticfiles():
    assert storages(environ={}) == {"default": FILESYSTEM, "staticfiles": STATICFILES}


def test_staticfiles_stays_the_projects_choice():
    whitenoise = {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}
    assert storages(environ={}, staticfiles=whitenoise)["staticfiles"] == whitenoise
    bound = vcap(storage_document("csb-aws-s3-bucket"))
    assert storages(environ=bound, staticfiles=whitenoise)["staticfiles"] == whitenoise


def test_reads_os_environ_by_default(monkeypatch):
    monkeypatch.setenv("VCAP_SERVICES", "{}")
    assert storages()["default"] == FILESYSTEM


# --- each broker -------------------------------------------------------------------------


def test_csb_aws_s3_bucket():
    result = storages(environ=vcap(storage_document("csb-aws-s3-bucket")))
    expected = s3(
        bucket_name="csb-8c41d7e2-5b9a-4f3e-a6d1-2c7b9e0f4a13",
        access_key="AKIAEXAMPLECSB7Q2W3E",
        secret_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYcsbEXAMPLE",
        region_name="eu-west-1",
    )
    assert result == {"default": expected, "staticfiles": STATICFILES, "uploads": expected}
    assert result["default"] is not result["uploads"]


def test_cloud_gov_s3_uses_the_fips_endpoint_and_additional_buckets():
    result = storages(environ=vcap(storage_document("cloudgov-s3")))
    options = {
        "access_key": "AKIAEXAMPLEGOV4R5T6Y",
        "secret_key": "g0vS3cr3tKeyEXAMPLE+9x8c7v6b5n4m3/2l1k0j",
        "region_name": "us-gov-west-1",
        "endpoint_url": "https://s3-fips.us-gov-west-1.amazonaws.com",
    }
    main = s3(bucket_name="cg-5b2e8f41-7c3a-4d9e-b1f6-0a2c4e6d8f19", **options)
    assert result == {
        "default": main,
        "staticfiles": STATICFILES,
        "media": main,
        "media/cg-archive-2f7e1d": s3(bucket_name="cg-archive-2f7e1d", **options),
        "media/cg-exports-9a3b5c": s3(bucket_name="cg-exports-9a3b5c", **options),
    }


def test_user_provided_minio_is_path_style():
    (entry,) = {
        k: v
        for k, v in storages(environ=vcap(storage_document("user-provided-minio"))).items()
        if k == "minio"
    }.values()
    assert entry == s3(
        bucket_name="guestbook-media",
        access_key="minio-app-7f3k",
        secret_key="m1n10-S3cret-k3y-EXAMPLE",
        endpoint_url="https://minio.apps.internal:9000",
        addressing_style="path",
    )


def test_user_provided_s3_uri_for_ceph():
    entry = storages(environ=vcap(storage_document("user-provided-s3-uri")))["ceph"]
    assert entry == s3(
        bucket_name="attachments",
        access_key="rgw-user-41",
        secret_key="Ceph/S3cret:key",
        region_name="default",
        endpoint_url="https://rgw.ceph.internal:7480",
        addressing_style="path",
    )


def test_google_cloud_storage_hmac_keys():
    entry = storages(environ=vcap(storage_document("google-storage-hmac")))["gcs"]
    assert entry == s3(
        bucket_name="pcf_sb_1_1712345678901234567",
        access_key="GOOG1EEXAMPLEHMACID7Q3W5E",
        secret_key="bGVhcm5pbmctZXhhbXBsZS1ITUFDLXNlY3JldA",
        region_name="auto",
        endpoint_url="https://storage.googleapis.com",
        addressing_style="path",
    )


def test_google_region_and_shape_without_the_label():
    found = bucket(
        {"bucket_name": "b", "PrivateKeyData": "eA==", "region": "europe-west4"},
        label="user-provided",
    )
    assert (found.endpoint_url, found.region) == ("https://storage.googleapis.com", "europe-west4")


# --- endpoints ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("credentials", "endpoint", "path_style"),
    [
        ({"endpoint": "http://10.0.0.5:9000/"}, "http://10.0.0.5:9000", True),
        ({"host": "minio.internal", "port": 9000}, "https://minio.internal:9000", True),
        ({"hostname": "minio.internal", "secure": False}, "http://minio.internal", True),
        ({"endpoint": "s3.eu-west-1.amazonaws.com"}, "https://s3.eu-west-1.amazonaws.com", False),
        ({"fips_endpoint": "https://fips.example.gov"}, "https://fips.example.gov", True),
        ({"url": "https://objects.example.com:8443"}, "https://objects.example.com:8443", True),
        ({"uri": "s3://h.example.com/b?tls=false"}, "http://h.example.com", True),
        ({"uri": "s3://s3.amazonaws.com/b", "region": "eu-north-1"}, None, False),
        ({"uri": "s3:///b", "region": "eu-north-1"}, None, False),
        ({"uri": "s3://k:s@store.example.com"}, "https://store.example.com", True),
    ],
)
def test_endpoints(credentials, endpoint, path_style):
    found = bucket({"bucket": "b", **credentials})
    assert (found.endpoint_url, found.path_style) == (endpoint, path_style)


def test_fields_win_over_the_uri():
    found = bucket(
        {
            "uri": "s3://uri-key:uri-secret@uri.example.com:9000/uri-bucket?region=uri-region",
            "bucket": "field-bucket",
            "access_key_id": "field-key",
            "secret_access_key": "field-secret",
            "region": "field-region",
            "endpoint": "https://field.example.com",
        }
    )
    assert data(found) == data(
        Bucket(
            service="media",
            name="field-bucket",
            access_key="field-key",
            secret_key="field-secret",
            region="field-region",
            endpoint_url="https://field.example.com",
            path_style=True,
        )
    )


def test_no_keys_at_all_leaves_signing_to_the_platform():
    found = bucket({"bucket": "b", "region": "eu-west-1"})
    assert from_bucket(found) == s3(bucket_name="b", region_name="eu-west-1")


# --- several buckets ---------------------------------------------------------------------


def two_buckets(**extra):
    return vcap(
        service("media", {"bucket": "media-b", "region": "r"}, tags=["s3"]),
        service("archive", {"bucket": "archive-b", "region": "r"}, label="s3"),
        **extra,
    )


def test_several_buckets_default_by_name_argument_or_variable():
    assert storages(environ=two_buckets())["default"]["OPTIONS"]["bucket_name"] == "archive-b"
    chosen = storages(environ=two_buckets(), default="media")
    assert chosen["default"]["OPTIONS"]["bucket_name"] == "media-b"
    assert list(chosen) == ["default", "staticfiles", "media", "archive"]
    by_variable = storages(environ=two_buckets(CFSETTINGS_DEFAULT_STORAGE="media"))
    assert by_variable["default"] == by_variable["media"]


def test_unknown_default_is_an_error():
    with pytest.raises(ImproperlyConfigured, match="names 'nope'"):
        storages(environ=two_buckets(), default="nope")


def test_s3_options_override_and_remove():
    result = storages(
        environ=two_buckets(), s3_options={"location": "uploads", "file_overwrite": None}
    )
    assert result["media"]["OPTIONS"]["location"] == "uploads"
    assert "file_overwrite" not in result["archive"]["OPTIONS"]


def test_a_service_named_staticfiles_is_refused():
    environ = vcap(service("staticfiles", {"bucket": "b", "region": "r"}, tags=["s3"]))
    with pytest.raises(ImproperlyConfigured, match="'staticfiles' storage alias"):
        storages(environ=environ)


def test_additional_bucket_alias_clash_is_refused():
    environ = vcap(
        service(
            "media", {"bucket": "b", "region": "r", "additional_buckets": ["x", "x"]}, label="s3"
        )
    )
    with pytest.raises(ImproperlyConfigured, match=r"Service 'media' \(s3\): 'additional_buckets'"):
        storages(environ=environ)


def test_other_kinds_are_not_buckets():
    environ = vcap(service("db", {"uri": "postgres://u:p@h/d"}))
    assert storages(environ=environ)["default"] == FILESYSTEM


# --- bad input ---------------------------------------------------------------------------

B = {"bucket": "b", "region": "r"}
HALF = "the credentials have one half of an access key: "


@pytest.mark.parametrize(
    ("credentials", "problem"),
    [
        ({"region": "r"}, "the credentials have no bucket"),
        ({"bucket": "two words", "region": "r"}, "'bucket' is not a bucket name"),
        ({"bucket": ["b"], "region": "r"}, "'bucket' must be a string"),
        ({"bucket": "b"}, "the credentials have no endpoint or region"),
        ({**B, "secret_access_key": None, "access_key_id": "k"}, f"{HALF}no secret_access_key"),
        (B, f"{HALF}no access_key_id"),
        ({"bucket": "b", "endpoint": "ftp://h"}, "'endpoint' must be an http:// or https:// URL"),
        ({"bucket": "b", "host": "h", "port": "x"}, "'port' is not a port number"),
        ({"bucket": "b", "host": "h", "port": 70000}, "'port' is not a port number"),
        ({"bucket": "b", "host": "h", "port": True}, "'port' is not a port number"),
        ({"bucket": "b", "host": "h", "secure": "maybe"}, "'secure' must be true or false"),
        ({"bucket": "b", "uri": "s3://h/b?ssl=perhaps"}, "'ssl' must be true or false"),
        ({"uri": "s3://h:99999/b"}, "'uri' is not a valid URI (bad host or port)"),
        ({"uri": "s3://h:0/b"}, "'uri' is not a valid URI (bad host or port)"),
        ({"uri": "ftp://h/b"}, "'uri' has the scheme 'ftp', not s3, http or https"),
        ({"uri": "just-text"}, "'uri' is not a URI (it has no scheme)"),
        ({**B, "additional_buckets": "x"}, "'additional_buckets' must be a list"),
        ({**B, "additional_buckets": ["ok", "a/b"]}, "'additional_buckets' is not a bucket name"),
    ],
)  # fmt: skip
def test_bad_input_names_the_field_never_the_secret(credentials, problem):
    if "access_key_id" not in credentials and not problem.startswith(HALF):
        credentials = {"access_key_id": "k", **credentials}
    assert refuse(credentials).startswith(problem)


def test_the_secret_in_a_uri_never_shows():
    message = refuse({"uri": f"s3://k:{HOSTILE_QUOTED}@h:99999/b", "secret_access_key": None})
    assert "not a valid URI" in message


def test_bucket_repr_hides_both_keys():
    found = bucket(
        {
            "bucket": "b",
            "region": "r",
            "access_key_id": "AKIA-VISIBLE?",
            "secret_access_key": HOSTILE,
        }
    )
    assert "AKIA-VISIBLE?" not in repr(found)
    assert_no_secret(repr(found))


def test_the_package_exports_storages_and_email_settings():
    import cfsettings
    from cfsettings.email import email_settings
    from cfsettings.storage import storages

    assert cfsettings.storages is storages and cfsettings.email_settings is email_settings
