"""Uploads through STORAGES from a bound bucket, against a real S3-compatible server (moto)."""

from __future__ import annotations

import io
import uuid
from urllib.parse import quote

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.forms import modelform_factory
from django.test import override_settings

from cfsettings import storages
from tests.fixtures import service, vcap
from tests.servers import HOST


def png(colour: str = "red") -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), colour).save(buffer, "PNG")
    return buffer.getvalue()


def bucket_service(name, server, bucket, **extra):
    """A user-provided MinIO-style binding: endpoint, keys, bucket."""
    credentials = {
        "endpoint": server.endpoint,
        "access_key_id": server.access_key,
        "secret_access_key": server.secret_key,
        "bucket": bucket,
        **extra,
    }
    return service(name, credentials, tags=["s3"])


def uri_service(name, server, bucket):
    """The same store as one s3:// URI (keys percent-encoded, plain HTTP asked for)."""
    port = server.endpoint.rsplit(":", 1)[1]
    key, secret = (quote(part, safe="") for part in (server.access_key, server.secret_key))
    uri = f"s3://{key}:{secret}@{HOST}:{port}/{bucket}?region=us-east-1&secure=false"
    return service(name, {"uri": uri})


@pytest.fixture
def stores():
    """Django's storage handler rebuilt for each STORAGES, and reset afterwards."""
    from django.core.files.storage import default_storage
    from django.core.files.storage import storages as handler

    def use(setting):
        override = override_settings(STORAGES=setting)
        override.enable()
        used.append(override)
        return handler, default_storage

    used: list[override_settings] = []
    yield use
    for override in used:
        override.disable()


def test_default_storage_saves_into_the_bound_bucket_and_reads_back(moto_s3, stores):
    media = moto_s3.new_bucket()
    setting = storages(environ=vcap(bucket_service("media", moto_s3, media, region="us-east-1")))
    handler, default_storage = stores(setting)

    content = f"guestbook {uuid.uuid4()}".encode()
    name = default_storage.save("notes/hello.txt", ContentFile(content))
    assert moto_s3.keys(media) == [name]
    assert moto_s3.read(media, name) == content
    with default_storage.open(name) as stored:
        assert stored.read() == content
    assert default_storage.exists(name)
    # Not overwritten: a second upload under the same name gets a name of its own.
    second = default_storage.save("notes/hello.txt", ContentFile(b"other"))
    assert second != name
    assert moto_s3.read(media, name) == content
    assert handler["media"].bucket_name == media


def test_a_second_bucket_by_alias(moto_s3, stores):
    media, archive = moto_s3.new_bucket(), moto_s3.new_bucket()
    environ = vcap(
        bucket_service("media", moto_s3, media), uri_service("archive", moto_s3, archive)
    )
    setting = storages(environ=environ, default="media")
    handler, default_storage = stores(setting)

    default_storage.save("a.txt", ContentFile(b"in media"))
    handler["archive"].save("b.txt", ContentFile(b"in archive"))
    assert moto_s3.keys(media) == ["a.txt"]
    assert moto_s3.keys(archive) == ["b.txt"]
    assert handler["archive"].open("b.txt").read() == b"in archive"


def test_a_wrong_secret_is_refused_by_the_server(moto_s3, stores):
    """The server checks signatures: the tests above used the bound keys for real."""
    from botocore.exceptions import ClientError

    media = moto_s3.new_bucket()
    broken = bucket_service("media", moto_s3, media)
    broken["user-provided"][0]["credentials"]["secret_access_key"] = "not-the-secret"
    _, default_storage = stores(storages(environ=vcap(broken)))
    with pytest.raises(ClientError, match="403"):
        default_storage.save("x.txt", ContentFile(b"x"))
    assert moto_s3.keys(media) == []


def test_image_field_upload_lands_in_the_bucket(moto_s3, stores):
    from PIL import Image

    from tests.uploads.models import Photo

    media = moto_s3.new_bucket()
    stores(storages(environ=vcap(bucket_service("media", moto_s3, media))))
    with connection.schema_editor() as editor:
        editor.create_model(Photo)
    try:
        form = modelform_factory(Photo, fields=["caption", "image"])(
            data={"caption": "a red square"},
            files={"image": SimpleUploadedFile("square.png", png(), "image/png")},
        )
        assert form.is_valid(), form.errors  # Pillow read the upload
        photo = form.save()
        assert photo.image.name.startswith("photos/square")
        assert moto_s3.keys(media) == [photo.image.name]

        again = Photo.objects.get(pk=photo.pk)
        with again.image.open() as stored:
            assert Image.open(stored).size == (4, 3)
        assert (again.image.width, again.image.height) == (4, 3)
        assert again.image.url.startswith(f"{moto_s3.endpoint}/{media}/photos/square")
        assert "Signature=" in again.image.url  # private bucket: signed links
    finally:
        with connection.schema_editor() as editor:
            editor.delete_model(Photo)


def test_cloud_gov_additional_buckets_share_the_keys(moto_s3, stores):
    """cloud.gov's shape: the FIPS endpoint (here moto's) and more buckets on the same keys."""
    main, extra = moto_s3.new_bucket(), moto_s3.new_bucket()
    credentials = {
        "bucket": main,
        "region": "us-east-1",
        "access_key_id": moto_s3.access_key,
        "secret_access_key": moto_s3.secret_key,
        "fips_endpoint": moto_s3.endpoint,
        "additional_buckets": [extra],
    }
    handler, default_storage = stores(
        storages(environ=vcap(service("media", credentials, label="s3")))
    )
    default_storage.save("main.txt", ContentFile(b"main"))
    handler[f"media/{extra}"].save("extra.txt", ContentFile(b"extra"))
    assert (moto_s3.keys(main), moto_s3.keys(extra)) == (["main.txt"], ["extra.txt"])
