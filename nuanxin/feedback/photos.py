"""Complaint photos: sniff the real type with Pillow, refuse what is not a photo, keep the
original byte-for-byte (evidence) and make an EXIF-free derivative for display."""

from __future__ import annotations

import hashlib
import io
import uuid
from dataclasses import dataclass
from typing import Any

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from nuanxin.core.errors import DomainError
from nuanxin.lib.env import envint

MAX_PHOTOS = envint("COMPLAINT_MAX_PHOTOS", 6)
MAX_PHOTO_BYTES = envint("COMPLAINT_MAX_PHOTO_MB", 10) * 1024 * 1024
MAX_PIXELS = 40_000_000  # refuse decompression bombs before decoding
DISPLAY_MAX_SIDE = 1600
ALLOWED_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
_EXT = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}


@dataclass
class ProcessedPhoto:
    original: ContentFile
    original_sha256: str
    original_type: str
    original_size: int
    display: ContentFile
    width: int
    height: int


def photo_process(upload: Any, *, index: int) -> ProcessedPhoto:
    """Validate and convert one uploaded file; raises DomainError naming the photo."""
    n = index + 1
    size = getattr(upload, "size", None) or 0
    if size > MAX_PHOTO_BYTES:
        raise DomainError(
            "photo_too_large",
            _("第%(n)d张照片超过%(mb)dMB。") % {"n": n, "mb": MAX_PHOTO_BYTES // (1024 * 1024)},
        )
    raw = upload.read()
    if not raw:
        raise DomainError("photo_empty", _("第%(n)d张照片是空文件。") % {"n": n})
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            fmt = probe.format or ""
            if probe.width * probe.height > MAX_PIXELS:
                raise DomainError("photo_too_big", _("第%(n)d张照片像素过大。") % {"n": n})
            probe.verify()
        image = Image.open(io.BytesIO(raw))
        image.load()
    except DomainError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise DomainError(
            "photo_not_image",
            _("第%(n)d张文件不是可识别的图片（支持 JPEG、PNG、WebP）。") % {"n": n},
        ) from None
    if fmt not in ALLOWED_FORMATS:
        raise DomainError(
            "photo_type", _("第%(n)d张图片格式不支持（支持 JPEG、PNG、WebP）。") % {"n": n}
        )
    # Apply the camera's rotation, then drop every metadata block by re-encoding pixels only.
    display_image = ImageOps.exif_transpose(image)
    if display_image.mode not in ("RGB", "L"):
        display_image = display_image.convert("RGB")
    display_image.thumbnail((DISPLAY_MAX_SIDE, DISPLAY_MAX_SIDE))
    out = io.BytesIO()
    display_image.save(out, format="JPEG", quality=85, optimize=True)
    stem = uuid.uuid4().hex
    return ProcessedPhoto(
        original=ContentFile(raw, name=f"{stem}.{_EXT[fmt]}"),
        original_sha256=hashlib.sha256(raw).hexdigest(),
        original_type=ALLOWED_FORMATS[fmt],
        original_size=len(raw),
        display=ContentFile(out.getvalue(), name=f"{stem}.jpg"),
        width=display_image.width,
        height=display_image.height,
    )


def photos_process(uploads: list[Any]) -> list[ProcessedPhoto]:
    if len(uploads) > MAX_PHOTOS:
        raise DomainError("too_many_photos", _("最多上传%(n)d张照片。") % {"n": MAX_PHOTOS})
    return [photo_process(upload, index=i) for i, upload in enumerate(uploads)]
