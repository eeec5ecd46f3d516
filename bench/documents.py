"""Generate and sign 行政处罚决定书: signed (full document_issue) beside unsigned generation.

uv run python bench/documents.py [--count 1000] [--signers 2] [--warmup 5]

Runs against a throwaway SQLite database and key folder in a temporary directory (never
your var/). For each document the signed path does everything `document_issue` does:
number allocation under a row lock, ReportLab rendering with the embedded CJK font and
QR code, one PAdES signature per officer with its image appearance, the bureau seal,
content-addressed storage, verification record and audit row. The unsigned path renders
the same document (same template, context and QR) without signing or storing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from percentiles import percentile  # bench/percentiles.py (scripts run from bench/)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--signers", type=int, default=2, help="officer signatures before the seal")
    ap.add_argument("--warmup", type=int, default=5)
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="nx-bench-documents-"))
    os.environ.update(
        {
            "NUANXIN_VAR_DIR": str(tmp),
            "NUANXIN_DEMO": "1",
            "DATABASE_URL": f"sqlite:///{tmp / 'bench.sqlite3'}",
            "SIGNING_KEYS_DIR": str(tmp / "keys"),
            "MEDIA_ROOT": str(tmp / "media"),
            "DJANGO_SETTINGS_MODULE": "nuanxin.settings",
        }
    )
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    call_command("migrate", verbosity=0, interactive=False)

    from nuanxin.accounts.models import User
    from nuanxin.documents.doctypes import context_clean, doc_type_spec
    from nuanxin.documents.keys import signing_keys_ensure
    from nuanxin.documents.render import RenderInput, render_document
    from nuanxin.documents.samples import sample_context
    from nuanxin.documents.services import document_issue
    from nuanxin.orgs.models import Bureau

    bureau = Bureau.objects.create(
        code="341600-CGJ", name="亳州市城市管理局", short_name="亳城管", phone="0558-12319"
    )
    officers = [
        User.objects.create(
            username=f"officer{i}", role="officer", display_name=name, badge_no=f"3416010{i}"
        )
        for i, name in enumerate(["张明", "刘洋", "陈静", "王强"][: max(1, args.signers)])
    ]
    t0 = time.perf_counter()
    signing_keys_ensure()
    keys_s = time.perf_counter() - t0
    spec = doc_type_spec("penalty_decision")
    context = sample_context("penalty_decision")
    cleaned = context_clean(spec, context)

    def unsigned(i: int) -> bytes:
        return render_document(
            RenderInput(
                spec=spec,
                context=cleaned,
                number=f"亳城管罚决字〔2026〕第{i:06d}号",
                agency_name=bureau.name,
                agency_contact=bureau.phone,
                issued_at=timezone.now(),
                signer_labels=[f"执法人员：{o}" for o in officers[: args.signers]],
                verify_url="http://127.0.0.1:8000/v/AbCdEfGhIjKlMnOpQrStUvWx",
                seal=True,
            )
        ).pdf

    def signed(i: int) -> None:
        document_issue(
            doc_type="penalty_decision",
            bureau=bureau,
            context=context,
            signers=officers[: args.signers],
            by=officers[0],
        )

    for i in range(args.warmup):
        unsigned(i)
        signed(i)

    unsigned_ms, signed_ms, unsigned_cpu, signed_cpu = [], [], [], []
    sizes = []
    for i in range(args.count):
        t, c = time.perf_counter(), time.process_time()
        sizes.append(len(unsigned(i)))
        unsigned_ms.append((time.perf_counter() - t) * 1000)
        unsigned_cpu.append((time.process_time() - c) * 1000)
        t, c = time.perf_counter(), time.process_time()
        signed(i)
        signed_ms.append((time.perf_counter() - t) * 1000)
        signed_cpu.append((time.process_time() - c) * 1000)

    from nuanxin.documents.models import Document

    last = Document.objects.order_by("-pk").first()
    med_u, med_s = statistics.median(unsigned_ms), statistics.median(signed_ms)
    print(
        f"documents            {args.count:,} 行政处罚决定书 ({args.signers} officer signature(s) + bureau seal)"
    )
    print(
        f"key setup            {keys_s * 1000:.0f} ms (CA, seal, {len(officers)} officer keys; once)"
    )
    print(
        f"unsigned generation  median {med_u:7.1f} ms   p99 {percentile(unsigned_ms, 99):7.1f} ms   ({statistics.mean(sizes) / 1024:.0f} KiB)"
    )
    print(
        f"signed + stored      median {med_s:7.1f} ms   p99 {percentile(signed_ms, 99):7.1f} ms   ({(last.size if last else 0) / 1024:.0f} KiB)"
    )
    print(
        f"  cpu time           unsigned median {statistics.median(unsigned_cpu):.1f} ms, signed median {statistics.median(signed_cpu):.1f} ms (this process only)"
    )
    print(f"machine load         {os.getloadavg()[0]:.1f} (1-min average, {os.cpu_count()} CPUs)")
    print(
        f"signing cost         median {med_s - med_u:7.1f} ms per document ({med_s / med_u:.1f}x unsigned)"
    )
    print(f"last number          {last.number if last else '-'}")
    print(f"target < 150 ms      {'met' if med_s < 150 else 'MISSED'}")


if __name__ == "__main__":
    main()
