"""Inline PEM written once, to a 0600 file in a 0700 directory that only this user owns."""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile

import pytest
from django.core.exceptions import ImproperlyConfigured

from cfsettings.bindings.tls import default_cert_dir, is_pem, normalise_pem, write_pem
from tests.fixtures import CA_PEM, CLIENT_KEY_PEM, PemFile


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


@pytest.fixture
def cert_dir(tmp_path):
    return str(tmp_path / "certs")  # not created yet: write_pem creates it


def test_is_pem():
    assert is_pem(CA_PEM)
    assert is_pem(CLIENT_KEY_PEM)
    assert not is_pem("-----BEGIN CERTIFICATE----- but no end")
    assert not is_pem("/etc/ssl/ca.pem")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (CA_PEM, CA_PEM),
        (CA_PEM.strip(), CA_PEM),
        (f"\n  {CA_PEM}\n\n", CA_PEM),
        (CA_PEM.strip().replace("\n", "\\n"), CA_PEM),
        (CA_PEM.replace("\n", "\r\n"), CA_PEM.replace("\n", "\r\n").strip() + "\n"),
    ],
)
def test_normalise_pem(text, expected):
    assert normalise_pem(text) == expected


def test_real_newlines_are_kept_even_beside_escaped_ones():
    text = "-----BEGIN X-----\nA\\nB\n-----END X-----"
    assert normalise_pem(text) == text + "\n"


def test_default_cert_dir_is_per_user_in_the_temp_dir():
    assert default_cert_dir() == os.path.join(tempfile.gettempdir(), f"cfsettings-{os.getuid()}")


def test_write_creates_a_private_directory_and_file(cert_dir):
    path = write_pem(CA_PEM, cert_dir)
    assert os.path.dirname(path) == cert_dir
    assert path.endswith(".pem")
    assert mode(cert_dir) == 0o700
    assert mode(path) == 0o600
    assert path == PemFile(CA_PEM, cert_dir)
    assert os.listdir(cert_dir) == [os.path.basename(path)]  # no temporary file left


def test_the_file_name_depends_only_on_the_content(cert_dir, tmp_path):
    first = write_pem(CA_PEM, cert_dir)
    assert write_pem(CA_PEM.strip().replace("\n", "\\n"), cert_dir) == first
    assert write_pem(CLIENT_KEY_PEM, cert_dir) != first
    other = write_pem(CA_PEM, str(tmp_path / "other"))
    assert os.path.basename(other) == os.path.basename(first)
    digest = hashlib.sha256(CA_PEM.encode()).hexdigest()
    assert os.path.basename(first)[:-4] in digest


def test_an_existing_good_file_is_not_rewritten(cert_dir):
    path = write_pem(CA_PEM, cert_dir)
    before = os.stat(path)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns - 10**9))
    aged = os.stat(path).st_mtime_ns
    assert write_pem(CA_PEM, cert_dir) == path
    assert os.stat(path).st_ino == before.st_ino
    assert os.stat(path).st_mtime_ns == aged


def test_a_tampered_file_is_replaced(cert_dir):
    path = write_pem(CA_PEM, cert_dir)
    with open(path, "w") as handle:
        handle.write("-----BEGIN CERTIFICATE-----\nEVIL\n-----END CERTIFICATE-----\n")
    assert write_pem(CA_PEM, cert_dir) == path
    assert path == PemFile(CA_PEM, cert_dir)


def test_a_file_readable_by_others_is_replaced(cert_dir):
    path = write_pem(CA_PEM, cert_dir)
    os.chmod(path, 0o644)
    assert write_pem(CA_PEM, cert_dir) == path
    assert mode(path) == 0o600


def test_a_file_owned_by_someone_else_is_replaced(cert_dir):
    if os.geteuid() != 0:
        pytest.skip("only root can give a file away")
    path = write_pem(CA_PEM, cert_dir)
    os.chown(path, 65534, 65534)
    assert write_pem(CA_PEM, cert_dir) == path
    assert os.stat(path).st_uid == os.getuid()


def test_a_stale_temporary_file_does_not_block_writing(cert_dir):
    """The temporary name used to be fixed per process: a crash left it behind for good."""
    os.makedirs(cert_dir, mode=0o700)
    digest = hashlib.sha256(CA_PEM.encode()).hexdigest()[:32]
    stale = os.path.join(cert_dir, f"{digest}.pem.{os.getpid()}.tmp")
    with open(stale, "w") as handle:
        handle.write("half a certif")
    assert write_pem(CA_PEM, cert_dir) == PemFile(CA_PEM, cert_dir)


@pytest.mark.parametrize("bad_mode", [0o750, 0o705, 0o770, 0o777, 0o701])
def test_refuses_a_directory_others_can_enter(cert_dir, bad_mode):
    os.makedirs(cert_dir)
    os.chmod(cert_dir, bad_mode)
    with pytest.raises(ImproperlyConfigured) as excinfo:
        write_pem(CA_PEM, cert_dir)
    assert str(excinfo.value) == (
        f"The certificate directory {cert_dir!r} must be a directory owned by this user with "
        "no access for others (mode 0700); it is not, so cfsettings will not write "
        "certificates there. Set CFSETTINGS_CERT_DIR to another directory."
    )
    assert os.listdir(cert_dir) == []


def test_refuses_a_directory_owned_by_someone_else(tmp_path):
    if os.geteuid() == 0:
        directory = tmp_path / "theirs"
        directory.mkdir(mode=0o700)
        os.chown(directory, 65534, 65534)
    else:  # a 0700 directory this user cannot own: root's home, where there is one
        directory = "/root"
        if not os.path.isdir(directory) or os.stat(directory).st_uid == os.getuid():
            pytest.skip("no directory owned by another user to try")
    with pytest.raises(ImproperlyConfigured, match="owned by this user"):
        write_pem(CA_PEM, str(directory))
    if os.geteuid() == 0:
        assert os.listdir(directory) == []


def test_refuses_a_symlink_to_a_private_directory(tmp_path):
    real = tmp_path / "real"
    real.mkdir(mode=0o700)
    link = tmp_path / "link"
    link.symlink_to(real)
    with pytest.raises(ImproperlyConfigured, match="must be a directory owned by this user"):
        write_pem(CA_PEM, str(link))
    assert os.listdir(real) == []


def test_cannot_create_the_directory(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    directory = str(blocker / "certs")
    with pytest.raises(ImproperlyConfigured) as excinfo:
        write_pem(CA_PEM, directory)
    assert str(excinfo.value) == (
        f"cfsettings cannot create its certificate directory {directory!r} (Not a directory); "
        "set CFSETTINGS_CERT_DIR to a writable directory."
    )


def test_cannot_write_the_file(cert_dir):
    os.makedirs(cert_dir, mode=0o700)
    # a directory where the certificate must go: renaming onto it fails
    digest = hashlib.sha256(CA_PEM.encode()).hexdigest()[:32]
    os.mkdir(os.path.join(cert_dir, f"{digest}.pem"))
    with pytest.raises(ImproperlyConfigured) as excinfo:
        write_pem(CA_PEM, cert_dir)
    assert str(excinfo.value) == (
        f"cfsettings cannot write a certificate in {cert_dir!r} (Is a directory); set "
        "CFSETTINGS_CERT_DIR to a writable directory."
    )
    assert os.listdir(cert_dir) == [f"{digest}.pem"]  # the temporary file was removed


def test_without_a_directory_uses_the_per_user_default(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    path = write_pem(CA_PEM)
    assert path == PemFile(CA_PEM, tmp_path / f"cfsettings-{os.getuid()}")
