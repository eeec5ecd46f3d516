"""The demo seeders of compliance, notices and opcredit run, are deterministic and idempotent."""

from __future__ import annotations

import random

import pytest


@pytest.mark.slow
def test_demo_seeders_are_idempotent(db, settings, tmp_path):
    from nuanxin.core.demo import DemoContext, run_seeders
    from nuanxin.notices.models import Notice
    from nuanxin.opcredit.models import Assessment

    settings.SIGNING_KEYS_DIR = tmp_path / "keys"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
    settings.VAR_DIR = tmp_path
    only = [
        "orgs",
        "accounts",
        "laws",
        "documents",
        "violations",
        "deliveries",
        "bikes",
        "compliance",
        "notices",
        "opcredit",
    ]
    run_seeders(DemoContext(rng=random.Random(7), scale=0.01), only=only)
    statuses = sorted(Notice.objects.values_list("status", flat=True))
    assert {"open", "fixed", "penalised"} <= set(statuses)
    assert Assessment.objects.count() >= 3
    counts = (Notice.objects.count(), Assessment.objects.count())
    run_seeders(DemoContext(rng=random.Random(7), scale=0.01), only=only)
    assert (Notice.objects.count(), Assessment.objects.count()) == counts
