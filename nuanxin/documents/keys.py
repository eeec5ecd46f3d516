"""A local CA and the signing identities it issues (bureau seals, officers, chiefs).

Layout under settings.SIGNING_KEYS_DIR:
    ca/cert.pem, ca/key.pem                 the local root (ECDSA P-256)
    <identity>/cert.pem, key.pem, appearance.png

Identities: `seal-<bureau.code>` for a bureau's e-seal, `user-<username>` for a person.
Each identity directory is written to a temporary folder and renamed into place, so a
reader never sees a key without its certificate, even with several processes racing.

In production the bureau's certified CA (or an SM2 seal service, see signing.py) issues
these; `manage.py seal_keys_demo` creates them for the demo and tests.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image, ImageDraw, ImageFont

from nuanxin.core.errors import DomainError

if TYPE_CHECKING:
    from nuanxin.accounts.models import User
    from nuanxin.orgs.models import Bureau

CA_NAME = "Nuanxin Local Signing CA"
SIGNER_ROLES = {"officer", "chief", "reviewer", "bureau_admin"}
SEAL_PX = 472  # 40 mm at 300 dpi
FONT_PATH = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"


class SigningKeyMissing(DomainError):
    pass


def keys_dir() -> Path:
    return Path(settings.SIGNING_KEYS_DIR)


def identity_for_user(user: User) -> str:
    return "user-" + re.sub(r"[^A-Za-z0-9_.-]", "_", user.get_username())


def identity_for_bureau(bureau: Bureau) -> str:
    return "seal-" + re.sub(r"[^A-Za-z0-9_.-]", "_", bureau.code)


def identity_dir(identity: str) -> Path:
    return keys_dir() / identity


def ca_cert_path() -> Path:
    return keys_dir() / "ca" / "cert.pem"


def identity_paths(identity: str) -> tuple[Path, Path, Path]:
    base = identity_dir(identity)
    return base / "key.pem", base / "cert.pem", base / "appearance.png"


def identity_require(identity: str, label: str) -> tuple[Path, Path, Path]:
    key, cert, image = identity_paths(identity)
    if not (key.exists() and cert.exists() and ca_cert_path().exists()):
        raise SigningKeyMissing(
            "signing_key_missing",
            _("%(who)s没有签名密钥（%(id)s）：请由管理员签发（manage.py seal_keys_demo）。")
            % {"who": label, "id": identity},
        )
    return key, cert, image


def _write_dir_atomically(target: Path, files: dict[str, bytes]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        for name, content in files.items():
            path = tmp / name
            path.write_bytes(content)
            if name == "key.pem":
                os.chmod(path, 0o600)
        try:
            os.rename(tmp, target)
        except OSError:
            if not (target / "cert.pem").exists():  # someone else won only if complete
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def ca_ensure() -> Path:
    if ca_cert_path().exists():
        return ca_cert_path()
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Nuanxin"),
            x509.NameAttribute(NameOID.COMMON_NAME, CA_NAME),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(key, hashes.SHA256())
    )
    _write_dir_atomically(
        keys_dir() / "ca",
        {"key.pem": _pem_key(key), "cert.pem": cert.public_bytes(serialization.Encoding.PEM)},
    )
    return ca_cert_path()


def _load_ca() -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    ca_ensure()
    base = keys_dir() / "ca"
    key = serialization.load_pem_private_key((base / "key.pem").read_bytes(), None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    cert = x509.load_pem_x509_certificate((base / "cert.pem").read_bytes())
    return key, cert


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.truetype(FONT_PATH, size)
    except OSError:
        return ImageFont.load_default()


def seal_image(agency_name: str, size: int = SEAL_PX) -> Image.Image:
    """A red round seal: the agency name around the upper rim, a five-pointed star inside."""
    red = (214, 0, 0, 235)
    img = Image.new("RGBA", (size, size), (255, 255, 255, 0))
    draw = ImageDraw.Draw(img)
    c = size / 2
    ring = size * 0.035
    draw.ellipse(
        [ring / 2, ring / 2, size - ring / 2, size - ring / 2], outline=red, width=int(ring)
    )
    # Star
    r_out, r_in = size * 0.17, size * 0.17 * 0.382
    points = []
    for i in range(10):
        r = r_out if i % 2 == 0 else r_in
        a = -math.pi / 2 + i * math.pi / 5
        points.append((c + r * math.cos(a), c + r * math.sin(a)))
    draw.polygon(points, fill=red)
    # Name along an arc from about 210° to 330° (clockwise across the top).
    chars = list(agency_name)
    n = len(chars)
    span = min(250.0, 24.0 * n)
    font = _font(int(size * 0.11))
    radius = size * 0.36
    for i, ch in enumerate(chars):
        deg = -90 - span / 2 + (span * (i + 0.5) / n)
        a = math.radians(deg)
        glyph = Image.new("RGBA", (int(size * 0.14), int(size * 0.14)), (255, 255, 255, 0))
        gd = ImageDraw.Draw(glyph)
        gd.text((glyph.width / 2, glyph.height / 2), ch, font=font, fill=red, anchor="mm")
        glyph = glyph.rotate(-(deg + 90), resample=Image.Resampling.BICUBIC)
        gx = c + radius * math.cos(a) - glyph.width / 2
        gy = c + radius * math.sin(a) - glyph.height / 2
        img.alpha_composite(glyph, (int(gx), int(gy)))
    draw.text((c, size * 0.78), "电子印章", font=_font(int(size * 0.07)), fill=red, anchor="mm")
    return img


def signature_image(display_name: str, badge_no: str) -> Image.Image:
    """An officer's visible signature: name and badge, navy ink, transparent background."""
    w, h = 496, 212  # 42 x 18 mm at 300 dpi
    img = Image.new("RGBA", (w, h), (255, 255, 255, 0))
    draw = ImageDraw.Draw(img)
    ink = (20, 40, 120, 255)
    draw.text((w / 2, h * 0.42), display_name, font=_font(86), fill=ink, anchor="mm")
    small = f"电子签名 {badge_no}" if badge_no else "电子签名"
    draw.text((w / 2, h * 0.82), small, font=_font(34), fill=ink, anchor="mm")
    return img


def identity_issue(
    *, identity: str, common_name: str, organization: str, image: Image.Image
) -> bool:
    """Issue a key and certificate for `identity` unless it exists. Returns True if created."""
    if (identity_dir(identity) / "cert.pem").exists():
        return False
    ca_key, ca_cert = _load_ca()
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, identity),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1825))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    import io

    png = io.BytesIO()
    image.save(png, format="PNG", optimize=True)
    _write_dir_atomically(
        identity_dir(identity),
        {
            "key.pem": _pem_key(key),
            "cert.pem": cert.public_bytes(serialization.Encoding.PEM),
            "appearance.png": png.getvalue(),
        },
    )
    return True


def bureau_seal_issue(bureau: Bureau) -> bool:
    return identity_issue(
        identity=identity_for_bureau(bureau),
        common_name=f"{bureau.name}电子印章",
        organization=bureau.name,
        image=seal_image(bureau.name),
    )


def user_key_issue(user: User, organization: str) -> bool:
    return identity_issue(
        identity=identity_for_user(user),
        common_name=str(user),
        organization=organization,
        image=signature_image(str(user), user.badge_no),
    )


def signing_keys_ensure() -> dict[str, int]:
    """Create the CA, every bureau's seal and every signing officer's key (idempotent)."""
    from nuanxin.accounts.models import User
    from nuanxin.orgs.models import Bureau

    ca_ensure()
    created = {"seals": 0, "users": 0}
    bureaus = list(Bureau.objects.order_by("pk"))
    org = bureaus[0].name if bureaus else "Nuanxin"
    for bureau in bureaus:
        created["seals"] += bureau_seal_issue(bureau)
    for user in User.objects.filter(role__in=SIGNER_ROLES, is_active=True).order_by("pk"):
        created["users"] += user_key_issue(user, org)
    return created
