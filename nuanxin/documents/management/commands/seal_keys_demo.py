from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from nuanxin.documents.keys import ca_cert_path, signing_keys_ensure


class Command(BaseCommand):
    help = (
        "Create the local signing CA, each bureau's e-seal key and each officer's, reviewer's "
        "and chief's signing key under SIGNING_KEYS_DIR. Idempotent: existing keys are kept."
    )

    def handle(self, *args: Any, **opts: Any) -> None:
        created = signing_keys_ensure()
        self.stdout.write(
            f"signing keys in {settings.SIGNING_KEYS_DIR}: {created['seals']} new seal(s), "
            f"{created['users']} new personal key(s); trust root {ca_cert_path()}"
        )
