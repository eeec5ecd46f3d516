"""Demo bikes: ~1,890 spots along the demo city's streets, three operators, ~20,000 bikes.

Idempotent (natural keys: spot code, operator code, plate) and deterministic: everything is
drawn from a local Random seeded once from ctx.rng. Bulk-created for speed; demo rows bypass
the per-row services on purpose (one audit row records the seeding).
"""

from __future__ import annotations

import hashlib
import random
import uuid
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from nuanxin.accounts.demo import demo_user
from nuanxin.accounts.models import ApiToken, Role
from nuanxin.accounts.services import api_token_issue
from nuanxin.audit.services import audit_record
from nuanxin.bikes.models import Bike, MaintenanceWorker, Operator, Spot, SpotVersion
from nuanxin.bikes.policy import bike_policy
from nuanxin.core.demo import DemoContext
from nuanxin.lib.plates import plate_make
from nuanxin.lib.uscc import uscc_generate
from nuanxin.orgs.models import District

CITY_WEST, CITY_EAST, CITY_SOUTH, CITY_NORTH = 115.70, 115.86, 33.80, 33.90
OPERATORS = [
    # code, name, letter, share of the fleet, quota
    ("qingju", "青桔单车", "Q", 0.36, 8000),
    ("hellobike", "哈啰单车", "H", 0.34, 8000),
    ("meituan", "美团单车", "M", 0.30, 7000),
]
# Demo legal identities: the local branch each operator would register in Bozhou (fictional
# codes with valid check characters, drawn from the seeded generator).
OPERATOR_SEATS = {
    "qingju": ("亳州市谯城区汤王大道 268 号", "王晓东"),
    "hellobike": ("亳州市谯城区魏武大道 1066 号", "李建国"),
    "meituan": ("亳州市谯城区希夷大道 88 号", "张海燕"),
}
EW_STREETS = [
    "魏武大道",
    "希夷大道",
    "芍花路",
    "光明路",
    "汤王大道",
    "药都大道",
    "牡丹路",
    "建安路",
    "紫苑路",
    "健康路",
    "银杏路",
    "谯陵路",
    "清华路",
    "杜仲路",
    "文帝路",
]
NS_STREETS = [
    "人民路",
    "亳芜大道",
    "合欢路",
    "学苑路",
    "凤凰路",
    "曹操路",
    "华佗大道",
    "龙腾路",
    "花戏楼路",
    "老子路",
    "庄周路",
    "三曹路",
    "铁佛路",
    "北关路",
    "南京路",
    "向阳路",
    "白布路",
    "站前路",
]
CATEGORY_WEIGHTS = [
    ("road", 45),
    ("residential", 20),
    ("shopping", 12),
    ("institution", 10),
    ("school", 8),
    ("hospital", 5),
]
PLACE_SUFFIX = {
    "road": "路侧",
    "residential": "小区门口",
    "shopping": "商超",
    "institution": "单位门前",
    "school": "学校",
    "hospital": "医院",
}
SPOTS_FROM = datetime(2026, 9, 1, tzinfo=UTC)
SPOT_TARGET = 1890
BIKE_TARGET = 20000


def _rect(lng: float, lat: float, along_lng: bool, rng: random.Random) -> list[list[float]]:
    """A 10–18 m × 2.5–4 m parking box, its long side along the street."""
    long_side = rng.uniform(10, 18) / 92_600  # metres → degrees of lng at 33.85°N
    short_side = rng.uniform(2.5, 4) / 111_000
    if along_lng:
        w, h = long_side / 2, short_side / 2
    else:
        w, h = short_side / 2 * 1.2, long_side / 2 * 0.83
    return [
        [round(lng - w, 7), round(lat - h, 7)],
        [round(lng + w, 7), round(lat - h, 7)],
        [round(lng + w, 7), round(lat + h, 7)],
        [round(lng - w, 7), round(lat + h, 7)],
        [round(lng - w, 7), round(lat - h, 7)],
    ]


def _districts() -> list[tuple[District, tuple[float, float, float, float]]]:
    out = []
    for d in District.objects.all():
        coords = d.boundary["coordinates"][0]
        xs, ys = [c[0] for c in coords], [c[1] for c in coords]
        out.append((d, (min(xs), min(ys), max(xs), max(ys))))
    return out


def seed_spots(ctx: DemoContext, rng: random.Random) -> None:
    target = ctx.scaled(SPOT_TARGET, minimum=20)
    if Spot.objects.count() >= target:
        return
    districts = _districts()
    cats = [c for c, w in CATEGORY_WEIGHTS for _ in range(w)]
    ranges = bike_policy().spot_categories
    spots, versions = [], []
    existing = set(Spot.objects.values_list("code", flat=True))
    n = 0
    while n < target:
        along = rng.random() < 0.5
        if along:
            k = rng.randrange(len(EW_STREETS))
            lat = CITY_SOUTH + 0.006 * (k + 1) + rng.uniform(-0.00005, 0.00005)
            lng = rng.uniform(CITY_WEST + 0.004, CITY_EAST - 0.004)
            street = EW_STREETS[k]
        else:
            k = rng.randrange(len(NS_STREETS))
            lng = CITY_WEST + 0.0085 * (k + 1) + rng.uniform(-0.00005, 0.00005)
            lat = rng.uniform(CITY_SOUTH + 0.003, CITY_NORTH - 0.003)
            street = NS_STREETS[k]
        category = rng.choice(cats)
        lo, hi = ranges[category]["typical_capacity"]
        capacity = rng.randint(lo, hi)
        ring = _rect(lng, lat, along, rng)
        beacons = [f"BT-{rng.getrandbits(32):08X}"] if rng.random() < 0.15 else []
        n += 1
        code = f"BZ{n:05d}"
        if code in existing:
            continue
        district = next(
            (d for d, (w, s, e, nn) in districts if w <= lng < e and s <= lat < nn), None
        )
        spots.append(Spot(code=code, district=district, created_at=SPOTS_FROM))
        xs, ys = [p[0] for p in ring], [p[1] for p in ring]
        versions.append(
            dict(
                version=1,
                geography_id=uuid.UUID(int=rng.getrandbits(128), version=4),
                name=f"{street}{n}号{PLACE_SUFFIX[category]}停放点",
                address=f"亳州市{street}",
                polygon={"type": "Polygon", "coordinates": [ring]},
                capacity=capacity,
                category=category,
                beacon_ids=beacons,
                center_lat=round(lat, 7),
                center_lng=round(lng, 7),
                min_lng=min(xs),
                min_lat=min(ys),
                max_lng=max(xs),
                max_lat=max(ys),
                effective_from=SPOTS_FROM,
                created_at=SPOTS_FROM,
                change_note="演示数据初始化",
            )
        )
    with transaction.atomic():
        Spot.objects.bulk_create(spots, batch_size=1000)
        by_code = dict(
            Spot.objects.filter(code__in=[s.code for s in spots]).values_list("code", "pk")
        )
        rows = [
            SpotVersion(spot_id=by_code[s.code], **v) for s, v in zip(spots, versions, strict=True)
        ]
        # A few spots changed over time (动态调整): v2 from last month with a new capacity.
        changed_at = SPOTS_FROM + timedelta(days=60)
        extra = []
        for v in rows[: max(1, len(rows) // 60)]:
            v.effective_to = changed_at
            extra.append(
                SpotVersion(
                    spot_id=v.spot_id,
                    version=2,
                    geography_id=uuid.UUID(int=rng.getrandbits(128), version=4),
                    name=v.name,
                    address=v.address,
                    polygon=v.polygon,
                    capacity=v.capacity + 10,
                    category=v.category,
                    beacon_ids=v.beacon_ids,
                    center_lat=v.center_lat,
                    center_lng=v.center_lng,
                    min_lng=v.min_lng,
                    min_lat=v.min_lat,
                    max_lng=v.max_lng,
                    max_lat=v.max_lat,
                    effective_from=changed_at,
                    created_at=changed_at,
                    change_note="扩容",
                )
            )
        SpotVersion.objects.bulk_create(rows + extra, batch_size=1000)
        audit_record(
            actor=None,
            actor_label="system:demo",
            action="spot.import",
            object_type="bikes.Spot",
            after={"count": len(rows), "source": "demo"},
        )
    ctx.say(f"bikes: {len(rows)} spots ({len(extra)} with a second version)")


def _token(ctx: DemoContext, operator: Operator) -> str:
    """The same token on every rerun: derived from the operator's stored provider_id (drawn from
    ctx.rng on the first run) and SECRET_KEY, so it survives reruns and is not guessable."""
    digest = hashlib.sha256(f"{operator.provider_id}:{settings.SECRET_KEY}".encode()).hexdigest()
    raw = f"nx_demo_{operator.code}_{digest[:40]}"
    if not ApiToken.objects.filter(key_hash=ApiToken.hash_secret(raw)).exists():
        api_token_issue(name=f"{operator.name} MDS（演示）", by=None, operator=operator, raw=raw)
    return raw


def seed_operators(ctx: DemoContext, rng: random.Random) -> list[Operator]:
    operators = []
    for code, name, letter, _share, quota in OPERATORS:
        op, _created = Operator.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "quota": ctx.scaled(quota),
                "plate_letter": letter,
                "contact_phone": f"400-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}",
                "provider_id": uuid.UUID(int=rng.getrandbits(128), version=4),
            },
        )
        if not op.uscc:  # older demo databases: fill in without touching anything else
            address, representative = OPERATOR_SEATS[code]
            op.uscc = uscc_generate(random.Random(f"operator-{code}"), division="341602")
            op.address, op.legal_representative = address, representative
            op.save(update_fields=["uscc", "address", "legal_representative"])
        token = _token(ctx, op)
        ctx.operators.append(
            {
                "id": op.code,
                "pk": op.pk,
                "name": op.name,
                "token": token,
                "provider_id": str(op.provider_id),
            }
        )
        admin = demo_user(
            ctx,
            username=f"{code}_admin",
            role=Role.OPERATOR_ADMIN,
            district=None,
            display_name=f"{name}运营主管",
        )
        op.members.add(admin)
        operators.append(op)
    return operators


def seed_workers(ctx: DemoContext, rng: random.Random, operators: list[Operator]) -> None:
    surnames = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
    given = ["伟", "强", "磊", "军", "勇", "杰", "涛", "斌", "超", "明", "刚", "平", "辉", "鹏"]
    for op in operators:
        for i in range(ctx.scaled(4, minimum=2)):
            name = rng.choice(surnames) + rng.choice(given)
            user = demo_user(
                ctx,
                username=f"{op.code}_mw{i + 1:02d}",
                role=Role.MAINTENANCE,
                district=None,
                display_name=f"{name}（{op.name}运维）",
            )
            MaintenanceWorker.objects.get_or_create(
                user=user,
                defaults={
                    "operator": op,
                    "name": name,
                    "phone": f"139{rng.randint(10000000, 99999999)}",
                    "on_duty": i % 4 != 3,
                    "last_lat": rng.uniform(CITY_SOUTH + 0.01, CITY_NORTH - 0.01),
                    "last_lng": rng.uniform(CITY_WEST + 0.01, CITY_EAST - 0.01),
                    "last_seen_at": timezone.now(),
                },
            )


def seed_bikes(ctx: DemoContext, rng: random.Random, operators: list[Operator]) -> None:
    spots = list(
        SpotVersion.objects.filter(effective_to__isnull=True).values_list(
            "min_lng", "min_lat", "max_lng", "max_lat"
        )
    )
    if not spots:
        return
    prefix, digits = bike_policy().plate_prefix, bike_policy().plate_digits
    now = timezone.now()
    total = ctx.scaled(BIKE_TARGET, minimum=30)
    created = 0
    for (_code, _name, letter, share, _quota), op in zip(OPERATORS, operators, strict=True):
        want = max(10, round(total * share))
        have = Bike.objects.filter(operator=op).count()
        bikes = []
        for i in range(have + 1, want + 1):
            r = rng.random()
            if r < 0.86:
                w, s, e, n = rng.choice(spots)
                lng, lat, acc = rng.uniform(w, e), rng.uniform(s, n), rng.uniform(0.5, 3)
            else:  # parked outside any spot: the compliance loop has work to do
                lng = rng.uniform(CITY_WEST + 0.005, CITY_EAST - 0.005)
                lat = rng.uniform(CITY_SOUTH + 0.005, CITY_NORTH - 0.005)
                acc = rng.uniform(1, 12)
            state = (
                "available" if rng.random() < 0.93 else rng.choice(["non_operational", "removed"])
            )
            electric = rng.random() < 0.2
            at = now - timedelta(minutes=rng.randint(5, 600))
            bikes.append(
                Bike(
                    operator=op,
                    plate=plate_make(prefix=prefix, letter=letter, number=i, digits=digits),
                    device_id=uuid.UUID(int=rng.getrandbits(128), version=4),
                    vehicle_type="bicycle",
                    propulsion_types=["electric_assist"] if electric else ["human"],
                    registered_at=now - timedelta(days=rng.randint(30, 400)),
                    updated_at=now,
                    vehicle_state=state,
                    last_event_types=["trip_end"] if state == "available" else ["maintenance"],
                    state_at=at,
                    lat=round(lat, 7),
                    lng=round(lng, 7),
                    accuracy_m=round(acc, 1),
                    position_at=at,
                    battery_percent=rng.randint(20, 100) if electric else None,
                )
            )
        Bike.objects.bulk_create(bikes, batch_size=2000)
        created += len(bikes)
    ctx.say(f"bikes: {created} bikes registered for {len(operators)} operators")


def seed(ctx: DemoContext) -> None:
    """Idempotent: running it twice adds nothing."""
    rng = random.Random(ctx.rng.getrandbits(64))
    seed_spots(ctx, rng)
    operators = seed_operators(ctx, rng)
    seed_workers(ctx, rng, operators)
    seed_bikes(ctx, rng, operators)
