"""Demo data for documents: signing keys for every demo signer, and one sealed example of
each document type so a newcomer can open a real signed 行政处罚决定书 right away."""

from __future__ import annotations

from nuanxin.core.demo import DemoContext
from nuanxin.documents.keys import signing_keys_ensure


def seed(ctx: DemoContext) -> None:
    """Idempotent: keys are only created once, the examples only when none exist."""
    from nuanxin.accounts.models import User
    from nuanxin.documents.doctypes import doc_type_names
    from nuanxin.documents.models import Document
    from nuanxin.documents.samples import sample_context
    from nuanxin.documents.services import document_issue
    from nuanxin.orgs.models import Bureau

    created = signing_keys_ensure()
    ctx.say(f"documents: signing keys ready ({created['seals']} seals, {created['users']} people)")
    bureau = Bureau.objects.order_by("pk").first()
    officers = list(User.objects.filter(role="officer", is_active=True).order_by("pk")[:2])
    if bureau is None or len(officers) < 2 or Document.objects.filter(bureau=bureau).exists():
        return
    merchant = None
    try:
        from nuanxin.merchants.models import Merchant

        merchant = Merchant.objects.order_by("pk").first()
    except ImportError:  # pragma: no cover
        pass
    for doc_type in doc_type_names():
        document_issue(
            doc_type=doc_type,
            bureau=bureau,
            context=sample_context(doc_type),
            signers=officers,
            by=officers[0],
            subject=merchant,
        )
    ctx.say(f"documents: {len(doc_type_names())} example documents issued and sealed")
