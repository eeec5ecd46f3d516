"""Signing backends. The default signs PAdES (pyHanko) with keys from the local CA.

The seam: anything with `sign(pdf_bytes, signer_identity, appearance) -> bytes` and
`validate(pdf_bytes) -> list[SignatureStatus]` can replace it. A bureau that must use a
certified GB/T 38540 (SM2/SM3) seal service writes a backend that posts the PDF's byte
range digest to that service and embeds the returned SES_Signature; pyHanko has no SM2,
so that backend also brings its own validator. Select one with DOCUMENTS_SIGNING_BACKEND
(a dotted path to a zero-argument factory).

The visible appearance is a pre-rendered PNG (seal or signature image): no font is
subset at signing time, which keeps a visible signature near the cost of an invisible one.
"""

from __future__ import annotations

import asyncio
import io
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Protocol, TypeVar

from asn1crypto import x509 as asn1_x509
from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from PIL import Image
from pyhanko.pdf_utils import generic, images
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers, timestamps
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore  # noqa: F401

from nuanxin.documents import keys
from nuanxin.lib.env import envstr

T = TypeVar("T")


@dataclass(frozen=True)
class Appearance:
    """Where and how a signature shows: field name, page (0-based) and box in points."""

    field_name: str
    page: int = 0
    box: tuple[int, int, int, int] | None = None
    label: str = ""  # the signer's readable name, for the signature dictionary's /Name
    reason: str = ""
    location: str = ""


@dataclass(frozen=True)
class SignatureStatus:
    field_name: str
    signer: str
    intact: bool
    valid: bool
    trusted: bool
    coverage: str  # ENTIRE_FILE, ENTIRE_REVISION, CONTRACTUAL_REVISION... or "" on error
    modification_ok: bool
    timestamped: bool
    signed_at: str
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and self.trusted and self.modification_ok


class SigningBackend(Protocol):
    def sign(self, pdf_bytes: bytes, signer_identity: str, appearance: Appearance) -> bytes: ...

    def validate(self, pdf_bytes: bytes) -> list[SignatureStatus]: ...


@cache
def _signer_for(identity: str, mtime: float) -> signers.SimpleSigner:
    key, cert, _image = keys.identity_paths(identity)
    loaded = signers.SimpleSigner.load(str(key), str(cert), ca_chain_files=())
    if loaded is None:  # pragma: no cover - pyHanko logs the reason
        raise keys.SigningKeyMissing("signing_key_unreadable", _("签名密钥无法读取：%s") % identity)
    return loaded


@cache
def _appearance_image(path: str, mtime: float) -> Image.Image:
    with Image.open(path) as img:
        img.load()
        return img.copy()


@dataclass(frozen=True)
class _EncodedImage:
    width: int
    height: int
    colour_space: str  # "/DeviceRGB" or "/DeviceGray"
    colour: bytes  # FlateDecode'd samples
    alpha: bytes | None  # FlateDecode'd soft mask, if the PNG has transparency


@cache
def _encoded_image(path: str, mtime: float) -> _EncodedImage:
    """The appearance PNG as PDF image streams, compressed once per process (pyHanko would
    re-deflate ~0.9 MB of samples for every signature: ~10 ms each)."""
    img = _appearance_image(path, mtime)
    alpha = None
    if img.mode.endswith("A"):
        alpha = zlib.compress(img.split()[-1].tobytes())
        img = img.convert(img.mode[:-1])
    if img.mode not in ("RGB", "L"):
        img = img.convert("RGB")
    space = "/DeviceGray" if img.mode == "L" else "/DeviceRGB"
    return _EncodedImage(img.width, img.height, space, zlib.compress(img.tobytes()), alpha)


class _PrecompressedImage(images.PdfImage):
    """pyHanko's PdfImage, writing the cached compressed streams instead of re-encoding.
    Only the appearance changes; the signature covers the written bytes as before."""

    def __init__(self, img: Image.Image, encoded: _EncodedImage) -> None:
        super().__init__(img)
        self._encoded = encoded

    @property
    def image_ref(self) -> generic.IndirectObject:
        assert self.writer is not None
        ref = self._image_ref
        if ref is None or ref.get_pdf_handler() is not self.writer:
            ref = self._image_ref = self._write(self.writer)
        return ref

    def _write(self, writer: Any) -> generic.IndirectObject:
        e = self._encoded

        def stream(colour_space: str, data: bytes, **extra: Any) -> generic.StreamObject:
            return generic.StreamObject(
                {
                    pdf_name("/Type"): pdf_name("/XObject"),
                    pdf_name("/Subtype"): pdf_name("/Image"),
                    pdf_name("/Width"): generic.NumberObject(e.width),
                    pdf_name("/Height"): generic.NumberObject(e.height),
                    pdf_name("/ColorSpace"): pdf_name(colour_space),
                    pdf_name("/BitsPerComponent"): generic.NumberObject(8),
                    pdf_name("/Filter"): pdf_name("/FlateDecode"),
                    **extra,
                },
                encoded_data=data,
            )

        extra = {}
        if e.alpha is not None:
            extra[pdf_name("/SMask")] = writer.add_object(stream("/DeviceGray", e.alpha))
        ref: generic.IndirectObject = writer.add_object(stream(e.colour_space, e.colour, **extra))
        return ref


@cache
def _trust_root(path: str, mtime: float) -> asn1_x509.Certificate:
    from asn1crypto import pem

    data = Path(path).read_bytes()
    if pem.detect(data):
        _type, _headers, data = pem.unarmor(data)
    return asn1_x509.Certificate.load(data)


def _outside_event_loop(fn: Callable[..., T], *args: Any) -> T:
    """pyHanko's sync API calls asyncio.run(), which fails inside a running loop (ASGI,
    Playwright's sync API): run it on a worker thread then."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return fn(*args)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn, *args).result()


class PadesBackend:
    """PAdES baseline signatures (ETSI.CAdES.detached) via pyHanko."""

    def __init__(self, tsa_url: str | None = None) -> None:
        url = tsa_url if tsa_url is not None else settings.TSA_URL
        self.timestamper = timestamps.HTTPTimeStamper(url) if url else None

    def sign(self, pdf_bytes: bytes, signer_identity: str, appearance: Appearance) -> bytes:
        return _outside_event_loop(self._sign, pdf_bytes, signer_identity, appearance)

    def validate(self, pdf_bytes: bytes) -> list[SignatureStatus]:
        return _outside_event_loop(self._validate, pdf_bytes)

    def _sign(self, pdf_bytes: bytes, signer_identity: str, appearance: Appearance) -> bytes:
        _key, cert, image_path = keys.identity_require(signer_identity, appearance.label)
        signer = _signer_for(signer_identity, cert.stat().st_mtime)
        meta = signers.PdfSignatureMetadata(
            field_name=appearance.field_name,
            subfilter=fields.SigSeedSubFilter.PADES,
            md_algorithm="sha256",
            name=appearance.label or None,
            reason=appearance.reason or None,
            location=appearance.location or None,
        )
        stamp_style = None
        field_spec = fields.SigFieldSpec(sig_field_name=appearance.field_name)
        if appearance.box is not None:
            field_spec = fields.SigFieldSpec(
                sig_field_name=appearance.field_name, on_page=appearance.page, box=appearance.box
            )
            if image_path.exists():
                mtime = image_path.stat().st_mtime
                stamp_style = TextStampStyle(
                    stamp_text="",
                    border_width=0,
                    background=_PrecompressedImage(
                        _appearance_image(str(image_path), mtime),
                        _encoded_image(str(image_path), mtime),
                    ),
                    background_opacity=1,
                )
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf_bytes), strict=False)
        pdf_signer = signers.PdfSigner(
            meta,
            signer=signer,
            stamp_style=stamp_style,
            new_field_spec=field_spec,
            timestamper=self.timestamper,
        )
        # Reserving the space up front skips pyHanko's dry-run signature (a third of the
        # cost): an ECDSA CMS with its two certificates is ~1.5 KB, a timestamp adds ~5 KB.
        out = pdf_signer.sign_pdf(writer, bytes_reserved=16384 if self.timestamper else 6144)
        return out.getvalue()  # type: ignore[union-attr]

    def _validate(self, pdf_bytes: bytes) -> list[SignatureStatus]:
        ca = keys.ca_cert_path()
        roots = [_trust_root(str(ca), ca.stat().st_mtime)] if ca.exists() else []
        try:
            reader = PdfFileReader(io.BytesIO(pdf_bytes), strict=False)
            embedded = list(reader.embedded_signatures)
        except Exception as exc:  # a mangled file is "not valid", not a crash
            return [SignatureStatus("", "", False, False, False, "", False, False, "", str(exc))]
        results = []
        for sig in embedded:
            name = sig.field_name
            try:
                vc = ValidationContext(trust_roots=roots, allow_fetching=False)
                status = validate_pdf_signature(sig, vc)
                cert = status.signing_cert
                results.append(
                    SignatureStatus(
                        field_name=name,
                        signer=cert.subject.native.get("common_name", "") if cert else "",
                        intact=bool(status.intact),
                        valid=bool(status.valid),
                        trusted=bool(status.trusted),
                        coverage=status.coverage.name if status.coverage else "",
                        modification_ok=bool(status.docmdp_ok),
                        timestamped=status.timestamp_validity is not None,
                        signed_at=status.signer_reported_dt.isoformat()
                        if status.signer_reported_dt
                        else "",
                    )
                )
            except Exception as exc:
                results.append(
                    SignatureStatus(name, "", False, False, False, "", False, False, "", str(exc))
                )
        return results


def signing_backend() -> SigningBackend:
    """The configured backend (cheap to build: keys and images are cached separately)."""
    path = envstr("DOCUMENTS_SIGNING_BACKEND")
    if not path:
        return PadesBackend()
    factory = import_string(path)
    backend: SigningBackend = factory()
    return backend
