"""Demo staff accounts. They exist only in a demo database (seed_demo refuses otherwise)."""

from __future__ import annotations

from django.db import transaction

from nuanxin.accounts.models import Role, User
from nuanxin.core.demo import DEMO_PASSWORD, DemoContext
from nuanxin.orgs.models import District

# username, role, district code (None: city-wide), display name, badge
DEMO_STAFF = [
    ("admin", Role.BUREAU_ADMIN, None, "系统管理员", ""),
    ("chief", Role.CHIEF, None, "王建国", "34160001"),
    ("reviewer", Role.REVIEWER, None, "李法审", "34160002"),
    ("dispatcher", Role.DISPATCHER, None, "赵调度", ""),
    ("analyst", Role.ANALYST, None, "钱分析", ""),
    ("officer_qcn", Role.OFFICER, "QC-N", "张明", "34160101"),
    ("officer_qcn2", Role.OFFICER, "QC-N", "刘洋", "34160102"),
    ("officer_qcs", Role.OFFICER, "QC-S", "陈静", "34160201"),
    ("officer_qcs2", Role.OFFICER, "QC-S", "杨帆", "34160202"),
    ("officer_gxe", Role.OFFICER, "GX-E", "周强", "34160301"),
    ("officer_gxe2", Role.OFFICER, "GX-E", "吴磊", "34160302"),
    ("officer_jke", Role.OFFICER, "JK-E", "郑伟", "34160401"),
    ("officer_jke2", Role.OFFICER, "JK-E", "孙丽", "34160402"),
]


def demo_user(
    ctx: DemoContext,
    *,
    username: str,
    role: str,
    district: District | None,
    display_name: str,
    badge_no: str = "",
) -> User:
    """Create (once) a demo login and list it in var/demo-accounts.json."""
    with transaction.atomic():
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "role": role,
                "district": district,
                "display_name": display_name,
                "badge_no": badge_no,
                "is_staff": role == Role.BUREAU_ADMIN,
                "is_superuser": role == Role.BUREAU_ADMIN,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
    ctx.users.append(
        {
            "username": username,
            "password": DEMO_PASSWORD,
            "role": role,
            "district": district.code if district else None,
        }
    )
    return user


def seed(ctx: DemoContext) -> None:
    districts = {d.code: d for d in District.objects.all()}
    for username, role, district_code, name, badge in DEMO_STAFF:
        demo_user(
            ctx,
            username=username,
            role=role,
            district=districts[district_code] if district_code else None,
            display_name=name,
            badge_no=badge,
        )
    ctx.say(f"accounts: {len(DEMO_STAFF)} staff")
