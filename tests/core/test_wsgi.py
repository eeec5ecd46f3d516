"""Each web worker loads the whole app when it starts and keeps it out of the collector."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from django.conf import settings


def test_the_wsgi_module_loads_the_urlconf_and_freezes_the_loaded_app() -> None:
    # A fresh interpreter: this test process imported the app long before.
    code = textwrap.dedent(
        """
        import gc, sys
        assert gc.get_freeze_count() == 0
        import nuanxin.wsgi  # noqa: F401
        assert "nuanxin.urls" in sys.modules, "URLconf not loaded at start"
        assert gc.get_freeze_count() > 50_000, gc.get_freeze_count()
        print("ok")
        """
    )
    env = {"DJANGO_SETTINGS_MODULE": "nuanxin.settings", "NUANXIN_TESTING": "1"}
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "ok"
