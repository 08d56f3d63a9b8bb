"""Where recordings are kept: the file system under var/ by default, S3-compatible storage
(django-storages) when AUDIO_S3_BUCKET is set; never under a public URL."""

from __future__ import annotations

import os
import subprocess
import sys

from django.conf import settings

PROBE = (
    "import django; django.setup(); "
    "from planner.models import Break; "
    "s = Break._meta.get_field('note_audio').storage; "
    "print(type(s).__module__ + '.' + type(s).__name__, getattr(s, 'bucket_name', ''), "
    "getattr(s, 'default_acl', ''), getattr(s, 'querystring_auth', ''), "
    "getattr(s, 'location', ''))"
)


def _probe(**env: str) -> str:
    environ = {**os.environ, "DJANGO_SETTINGS_MODULE": "core.settings", "DEBUG": "1", **env}
    if "AUDIO_S3_BUCKET" not in env:
        environ.pop("AUDIO_S3_BUCKET", None)
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=settings.BASE_DIR,
        check=True,
    )
    return done.stdout.strip()


def test_by_default_recordings_are_files_under_var_with_no_public_url():
    backend, location = _probe(BETWEEN_VAR_DIR="/tmp/between-var-probe").split()
    assert backend == "django.core.files.storage.filesystem.FileSystemStorage"
    assert location == "/tmp/between-var-probe/audio"  # not under static files


def test_with_a_bucket_they_go_to_private_s3_compatible_storage():
    out = _probe(AUDIO_S3_BUCKET="between-audio", AUDIO_S3_ENDPOINT_URL="http://minio.invalid")
    assert out.split() == [
        "storages.backends.s3.S3Storage",
        "between-audio",
        "private",
        "True",
        "audio",
    ]
