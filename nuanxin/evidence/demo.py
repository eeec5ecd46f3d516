"""Demo data for evidence: a few street photos (drawn with Pillow) uploaded by demo
officers, with device, GPS and time, exactly as the phone app would send them."""

from __future__ import annotations

import datetime as dt
import io

from nuanxin.core.demo import DemoContext

SCENES = ["露天烧烤", "占道经营", "乱堆物料", "店外经营", "渣土车未覆盖", "乱张贴"]


def demo_photo(label: str, seed: int) -> bytes:
    """A deterministic JPEG: a coloured street scene with a caption and a timestamp bar."""
    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("RGB", (800, 600), (120 + seed % 80, 140, 160 - seed % 60))
    draw = ImageDraw.Draw(img)
    draw.rectangle([0, 420, 800, 600], fill=(90, 90, 90))  # the street
    for i in range(4):
        x = 80 + i * 180
        draw.rectangle(
            [x, 250 - (seed * (i + 3)) % 80, x + 120, 420], fill=(200, 180 - i * 20, 140)
        )
    font: ImageFont.FreeTypeFont | ImageFont.ImageFont
    try:
        font = ImageFont.truetype("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 36)
    except OSError:
        font = ImageFont.load_default()
    draw.rectangle([0, 540, 800, 600], fill=(0, 0, 0))
    draw.text((20, 548), f"{label}  DEMO-{seed:04d}", font=font, fill=(255, 255, 255))
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=80)
    return out.getvalue()


def seed(ctx: DemoContext) -> None:
    """Idempotent: photos are only added when the demo has no evidence yet."""
    from django.utils import timezone

    from nuanxin.accounts.models import User
    from nuanxin.evidence.models import EvidenceItem
    from nuanxin.evidence.services import evidence_upload

    if EvidenceItem.objects.exists():
        return
    officers = list(User.objects.filter(role="officer", is_active=True).order_by("pk"))
    if not officers:
        return
    base = timezone.now().replace(microsecond=0) - dt.timedelta(days=3)
    count = ctx.scaled(12, minimum=3)
    for i in range(count):
        officer = officers[i % len(officers)]
        label = SCENES[i % len(SCENES)]
        lat = 33.84 + ctx.rng.random() * 0.05
        lng = 115.72 + ctx.rng.random() * 0.06
        evidence_upload(
            file=io.BytesIO(demo_photo(label, i)),
            kind="photo",
            captured_at=base + dt.timedelta(minutes=37 * i),
            lat=round(lat, 6),
            lng=round(lng, 6),
            device_id=f"JZY-DEMO-{1 + i % 3:03d}",
            original_name=f"IMG_{20260601 + i}.jpg",
            note=label,
            by=officer,
        )
    ctx.say(f"evidence: {count} demo photos uploaded")
