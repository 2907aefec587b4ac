"""Recognising S3-compatible buckets and SMTP relays among the bound services."""

from __future__ import annotations

import pytest

from cfsettings.bindings.classify import (
    EMAIL_KINDS,
    S3,
    SMTP,
    STORAGE_KINDS,
    Ignored,
    Match,
    classify,
    classify_all,
    matches_of,
)
from cfsettings.bindings.sources import Service, parse_services
from tests.storage.fixtures import storage_document, storage_names

FIXTURE_KINDS = {
    "cloudgov-s3": (S3, "URI scheme 's3' in 'uri'"),
    "csb-aws-s3-bucket": (S3, "tag 's3'"),
    "google-storage-hmac": (
        S3,
        "credentials 'bucket_name', 'hmac_access_id', 'hmac_secret'",
    ),
    "sendgrid": (SMTP, "label 'sendgrid'"),
    "user-provided-minio": (S3, "tag 's3'"),
    "user-provided-s3-uri": (S3, "URI scheme 's3' in 'uri'"),
    "user-provided-smtp": (SMTP, "tag 'smtp'"),
}


def decide(credentials=None, *, label="user-provided", tags=()):
    result = classify(Service("svc", label, list(tags), credentials or {}))
    if isinstance(result, Match):
        return result.kind, result.rule
    return "ignored", result.reason


@pytest.mark.parametrize("fixture", sorted(FIXTURE_KINDS))
def test_every_storage_and_email_fixture(fixture):
    (decision,) = classify_all(parse_services(storage_document(fixture)))
    assert isinstance(decision, Match)
    assert (decision.kind, decision.rule) == FIXTURE_KINDS[fixture]


def test_every_fixture_is_classified_here():
    assert sorted(FIXTURE_KINDS) == storage_names()


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"tags": ["MinIO"]}, (S3, "tag 'minio'")),
        ({"tags": ["smtp"]}, (SMTP, "tag 'smtp'")),
        ({"label": "csb-aws-s3-bucket"}, (S3, "label 'csb-aws-s3-bucket'")),
        ({"label": "ecs-bucket"}, (S3, "label 'ecs-bucket'")),
        ({"label": "minio"}, (S3, "label 'minio'")),
        ({"label": "smtp-relay"}, (SMTP, "label 'smtp-relay'")),
        (
            {"credentials": {"uri": "smtps://u:p@mail.example.com"}},
            (SMTP, "URI scheme 'smtps' in 'uri'"),
        ),
        (
            {"credentials": {"smtp_url": "smtp://mail.example.com"}},
            (SMTP, "URI scheme 'smtp' in 'smtp_url'"),
        ),
        ({"credentials": {"s3_uri": "s3://k:s@host/b"}}, (S3, "URI scheme 's3' in 's3_uri'")),
    ],
)
def test_tags_labels_and_schemes(kwargs, expected):
    assert decide(**kwargs) == expected


def test_shape_needs_a_bucket_and_both_halves_of_a_key():
    full = {"bucket": "b", "aws_access_key_id": "AK", "aws_secret_access_key": "SK"}
    assert decide(full)[0] == S3
    for missing in full:
        partial = {k: v for k, v in full.items() if k != missing}
        assert decide(partial)[0] == "ignored"


def test_a_database_tag_still_beats_a_bucket_shape():
    """Shape is the weakest evidence: a tagged service with an odd credential stays what the
    tag says."""
    credentials = {"bucket": "b", "access_key": "AK", "secret_key": "SK", "host": "db"}
    assert decide(credentials, tags=["postgres"])[0] == "postgresql"


def test_google_storage_without_hmac_keys_is_not_a_bucket():
    """Google's broker gives a service account, which S3 clients cannot use."""
    credentials = {"bucket_name": "b", "PrivateKeyData": "eA==", "Email": "a@b"}
    result = classify(Service("gcs", "google-storage", [], credentials))
    assert isinstance(result, Ignored)


def test_kind_families_and_filtering():
    services = [
        Service("media", "s3", [], {"bucket": "b", "region": "r"}),
        Service("mail", "user-provided", ["smtp"], {"host": "h"}),
        Service("db", "user-provided", ["postgres"], {"host": "h"}),
    ]
    decisions = classify_all(services)
    assert [m.service.name for m in matches_of(decisions, STORAGE_KINDS)] == ["media"]
    assert [m.service.name for m in matches_of(decisions, EMAIL_KINDS)] == ["mail"]


def test_checks_and_explain_accept_the_new_kinds():
    """Buckets and relays are neither ignored (I001) nor databases missing a driver (E002),
    and explain names what they are."""
    from cfsettings.checks import check_cfsettings
    from cfsettings.explain.render import render_text
    from tests.fixtures import vcap

    environ = vcap(storage_document("csb-aws-s3-bucket"), storage_document("sendgrid"))
    # Only storage's own I002 (the SendGrid binding names no sender): check_cfsettings runs
    # the storage checks too, on the same resolution.
    assert [m.id for m in check_cfsettings(environ=environ)] == ["cfsettings.I002"]
    from cfsettings.explain.report import build_report

    text = render_text(build_report(environ))
    assert "is S3-compatible object storage, by tag 's3'" in text
    assert "is an SMTP relay, by label 'sendgrid'" in text
    assert "wJalrXUtnFEMI" not in text
