from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage

from nuanxin.audit.models import AuditEvent
from nuanxin.core.errors import DomainError
from nuanxin.documents.doctypes import doc_type_names, doc_type_spec
from nuanxin.documents.keys import SigningKeyMissing, ca_cert_path
from nuanxin.documents.models import Document, DocumentCounter
from nuanxin.documents.samples import ART_81, ART_118, sample_context
from nuanxin.documents.selectors import document_pdf_bytes
from nuanxin.documents.services import document_issue
from nuanxin.documents.signing import signing_backend


def issue(personas: Any, doc_type: str = "penalty_decision", **kw: Any) -> Document:
    params: dict[str, Any] = {
        "doc_type": doc_type,
        "bureau": personas.bureau,
        "context": sample_context(doc_type),
        "signers": [personas.officer_a, personas.officer_a2],
        "by": personas.officer_a,
        "subject": personas.merchant_shop,
    }
    params.update(kw)
    return document_issue(**params)


def pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True)
    return "".join(out.stdout.decode("utf-8").split())  # CJK lines wrap anywhere


needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler missing")


def test_every_doc_type_declares_fields_the_layout_uses() -> None:
    names = doc_type_names()
    assert set(names) == {
        "filing_approval",
        "correction_notice",
        "prior_notice",
        "penalty_decision",
        "onspot_decision",
        "service_receipt",
        "service_address_confirmation",
        "closing_approval",
    }
    decision = doc_type_spec("penalty_decision")
    # Art. 59: party, facts, evidence, articles, penalty and execution, payment, remedies.
    for key in [
        "party_name",
        "facts",
        "evidence",
        "articles_violated",
        "articles_penalty",
        "penalty",
        "execution",
        "payment_place",
        "payment_deadline",
        "review_body",
        "court",
    ]:
        assert decision.fields[key].required, key
    assert decision.seal_required


@needs_poppler
@pytest.mark.slow
@pytest.mark.parametrize("doc_type", sorted(doc_type_names()))
def test_each_doc_type_is_signed_sealed_and_readable(
    doc_type: str, personas: Any, signing_keys: Path, tmp_path: Path
) -> None:
    document = issue(personas, doc_type)
    data = document_pdf_bytes(document)
    assert data is not None
    assert hashlib.sha256(data).hexdigest() == document.sha256
    assert document.pdf.name == f"documents/{document.sha256[:2]}/{document.sha256}.pdf"
    statuses = signing_backend().validate(data)
    assert [s.field_name for s in statuses] == ["Signer1", "Signer2", "AgencySeal"]
    assert all(s.intact and s.valid and s.trusted and s.modification_ok for s in statuses)
    assert statuses[-1].coverage == "ENTIRE_FILE"
    assert statuses[-1].signer == "亳州市城市管理局电子印章"
    text = pdf_text(data, tmp_path)
    spec = doc_type_spec(doc_type)
    assert spec.title in text
    assert document.number in text
    assert "亳州市城市管理局" in text
    for key, value in sample_context(doc_type).items():
        if key in spec.fields and isinstance(value, str) and len(value) < 60:
            assert "".join(value.split()) in text, (key, value)


@needs_poppler
def test_the_decision_carries_what_art_59_requires(
    personas: Any, signing_keys: Path, tmp_path: Path
) -> None:
    document = issue(personas)
    text = pdf_text(document_pdf_bytes(document) or b"", tmp_path)
    assert document.number.startswith("亳城管罚决字〔")
    for needle in [
        "当事人",
        "王大明",
        "违法事实",
        "露天烧烤食品",
        ART_81["citation"],
        "".join(ART_81["text"].split()),
        "".join(ART_118["text"].split()),
        "罚款金额",
        "500.00",
        "履行方式和期限",
        "缴款地点",
        "收到本决定书之日起十五日内",
        "六十日内向亳州市人民政府申请行政复议",
        "六个月内依法向亳州市谯城区人民法院提起行政诉讼",
        "每日按罚款数额的百分之三加处罚款",
        "现场照片（露天烧烤）",
        "3" * 64,  # the evidence hash is listed
    ]:
        assert needle in text, needle
    fonts = subprocess.run(
        ["pdffonts", "-"], input=document_pdf_bytes(document), capture_output=True
    ).stdout.decode()
    assert "yes yes" in " ".join(fonts.split()) or "yes" in fonts  # embedded + subset
    assert document.template_version == "2026.1"
    assert document.evidence[0]["sha256"] == "3" * 64
    event = AuditEvent.objects.get(action="document.issue", object_id=str(document.pk))
    assert event.after["number"] == document.number
    assert event.actor_id == personas.officer_a.pk


@needs_poppler
def test_the_qr_code_decodes_to_the_verification_url(
    personas: Any, signing_keys: Path, tmp_path: Path
) -> None:
    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image

    document = issue(personas)
    pdf = tmp_path / "d.pdf"
    pdf.write_bytes(document_pdf_bytes(document) or b"")
    subprocess.run(
        ["pdftoppm", "-r", "150", "-f", "1", "-l", "1", "-png", str(pdf), str(tmp_path / "p")],
        check=True,
    )
    page = next(tmp_path.glob("p*.png"))
    found = zxingcpp.read_barcodes(Image.open(page))
    assert [r.text for r in found] == [document.verify_url]


def test_missing_fields_are_listed_and_nothing_is_written(
    personas: Any, signing_keys: Path
) -> None:
    context = sample_context("penalty_decision")
    del context["facts"], context["review_body"]
    with pytest.raises(DomainError) as exc:
        issue(personas, context=context)
    assert exc.value.code == "missing_fields"
    assert "违法事实（facts）" in exc.value.message
    assert "行政复议机关（review_body）" in exc.value.message
    assert exc.value.details["missing"] == ["facts", "review_body"]
    assert not Document.objects.exists()
    assert not DocumentCounter.objects.exists()


def test_a_malformed_evidence_hash_is_refused(personas: Any, signing_keys: Path) -> None:
    context = sample_context("penalty_decision")
    context["evidence"] = [{"name": "照片", "sha256": "abc"}]
    with pytest.raises(DomainError) as exc:
        issue(personas, context=context)
    assert exc.value.code == "bad_context"


def test_a_decision_without_the_seal_is_refused(personas: Any, signing_keys: Path) -> None:
    with pytest.raises(DomainError) as exc:
        issue(personas, seal=False)
    assert exc.value.code == "seal_required"


def test_a_signer_without_a_key_gets_a_clear_error(personas: Any, signing_keys: Path) -> None:
    from nuanxin.accounts.models import User

    newcomer = User.objects.create(username="new_officer", role="officer", display_name="新人")
    with pytest.raises(SigningKeyMissing) as exc:
        issue(personas, signers=[newcomer])
    assert exc.value.code == "signing_key_missing"
    assert "新人" in exc.value.message
    assert not DocumentCounter.objects.exists()


def test_numbers_follow_each_other_across_issues(personas: Any, signing_keys: Path) -> None:
    first = issue(personas, "service_receipt", signers=[personas.officer_a])
    second = issue(personas, "service_receipt", signers=[personas.officer_a])
    assert (first.serial, second.serial) == (1, 2)
    assert second.number.endswith("第000002号")


def test_a_tampered_pdf_fails_validation(personas: Any, signing_keys: Path) -> None:
    data = bytearray(document_pdf_bytes(issue(personas)) or b"")
    index = data.index(b"/Title")
    data[index + 1 : index + 6] = b"Xitle"  # change a signed byte
    statuses = signing_backend().validate(bytes(data))
    assert statuses and not all(s.intact for s in statuses)
    assert not any(s.ok for s in statuses)


def test_an_appended_revision_is_reported(personas: Any, signing_keys: Path) -> None:
    import io

    from pyhanko.pdf_utils.generic import NameObject, TextStringObject
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    data = document_pdf_bytes(issue(personas)) or b""
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    info = writer.root  # change the catalogue after signing
    info[NameObject("/Lang")] = TextStringObject("en")
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    statuses = signing_backend().validate(out.getvalue())
    assert statuses[-1].coverage != "ENTIRE_FILE"


@pytest.mark.skipif(
    shutil.which("pdfsig") is None or shutil.which("certutil") is None,
    reason="poppler pdfsig or NSS certutil missing",
)
def test_pdfsig_trusts_every_signature_with_the_local_ca(
    personas: Any, signing_keys: Path, tmp_path: Path
) -> None:
    document = issue(personas)
    pdf = tmp_path / "signed.pdf"
    pdf.write_bytes(document_pdf_bytes(document) or b"")
    nss = tmp_path / "nss"
    nss.mkdir()
    subprocess.run(["certutil", "-N", "-d", f"sql:{nss}", "--empty-password"], check=True)
    subprocess.run(
        [
            "certutil",
            "-A",
            "-d",
            f"sql:{nss}",
            "-n",
            "nuanxin-ca",
            "-t",
            "CT,C,C",
            "-i",
            str(ca_cert_path()),
        ],
        check=True,
    )
    out = subprocess.run(
        ["pdfsig", "-nssdir", f"sql:{nss}", str(pdf)], capture_output=True, text=True
    ).stdout
    assert out.count("Signature Validation: Signature is Valid.") == 3
    assert out.count("Certificate Validation: Certificate is Trusted.") == 3
    assert "Total document signed" in out


def test_the_stored_file_is_content_addressed(personas: Any, signing_keys: Path) -> None:
    document = issue(personas)
    assert default_storage.exists(document.pdf.name)
    assert document.size == default_storage.size(document.pdf.name)
