"""RFC 3161 timestamps: a local TSA (pyHanko's reference responder behind a real HTTP
server) answers the requests that PadesBackend sends when settings.TSA_URL is set."""

from __future__ import annotations

import datetime as dt
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

from nuanxin.documents.samples import sample_context
from nuanxin.documents.selectors import document_pdf_bytes
from nuanxin.documents.services import document_issue
from nuanxin.documents.signing import signing_backend


def _tsa_identity(keys_dir: Path) -> DummyTimeStamper:
    ca_key = serialization.load_pem_private_key((keys_dir / "ca" / "key.pem").read_bytes(), None)
    ca_cert = x509.load_pem_x509_certificate((keys_dir / "ca" / "cert.pem").read_bytes())
    key = rsa.generate_private_key(
        public_exponent=65537, key_size=2048
    )  # pyHanko's responder is RSA-only
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Nuanxin test TSA")]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(ca_key, hashes.SHA256())  # type: ignore[arg-type]
    )
    return DummyTimeStamper(
        tsa_cert=asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)),
        tsa_key=asn1_keys.PrivateKeyInfo.load(
            key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        ),
    )


def _free_port() -> int:
    for port in range(8460, 8500):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    pytest.skip("no free port in 8460-8499")


@pytest.fixture
def tsa_url(signing_keys: Path) -> Iterator[str]:
    responder = _tsa_identity(signing_keys)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            reply = responder.request_tsa_response(tsp.TimeStampReq.load(body)).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", _free_port()), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/tsa"
    server.shutdown()
    server.server_close()


@pytest.mark.slow
def test_documents_carry_a_trusted_timestamp_when_a_tsa_is_configured(
    personas: Any, settings: Any, tsa_url: str
) -> None:
    settings.TSA_URL = tsa_url
    document = document_issue(
        doc_type="onspot_decision",
        bureau=personas.bureau,
        context=sample_context("onspot_decision"),
        signers=[personas.officer_a],
        by=personas.officer_a,
    )
    assert document.timestamped
    statuses = signing_backend().validate(document_pdf_bytes(document) or b"")
    assert len(statuses) == 2
    assert all(s.ok and s.timestamped for s in statuses)


def test_without_a_tsa_there_is_no_timestamp(personas: Any, signing_keys: Path) -> None:
    document = document_issue(
        doc_type="onspot_decision",
        bureau=personas.bureau,
        context=sample_context("onspot_decision"),
        signers=[personas.officer_a],
        by=personas.officer_a,
    )
    assert not document.timestamped
    statuses = signing_backend().validate(document_pdf_bytes(document) or b"")
    assert statuses and not any(s.timestamped for s in statuses)
