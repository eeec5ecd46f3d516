"""Demo: open, fixed and penalised warm reminders for each operator (deterministic).

Open notices get the normal 15-minute window, so a running `manage.py worker` will penalise
the ones nobody fixes during the demo — the loop is live.
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.utils import timezone

from nuanxin.bikes.models import Bike, Operator
from nuanxin.compliance.hooks import MovedObservation, ParkedObservation
from nuanxin.compliance.models import ParkingCheck, Verdict
from nuanxin.compliance.services import bikes_moved, parked_bikes_evaluate
from nuanxin.core.demo import DemoContext
from nuanxin.notices.models import Notice
from nuanxin.notices.penalties import penalties_issue_due, penalty_documents_issue
from nuanxin.notices.services import notice_open

PER_OPERATOR = {"open": 3, "fixed": 3, "penalised": 2}


def _bad_spot(rng: random.Random, lat: float, lng: float) -> tuple[float, float]:
    """A point ~60–120 m away from where the bike was (off any spot in the demo city)."""
    return lat + rng.uniform(0.0006, 0.0011) * rng.choice((-1, 1)), lng + rng.uniform(
        0.0007, 0.0013
    ) * rng.choice((-1, 1))


def seed(ctx: DemoContext) -> None:
    """Idempotent: does nothing once demo notices exist."""
    if Notice.objects.filter(check_ref__source="demo-notice").exists():
        return
    rng = random.Random(ctx.rng.getrandbits(64))
    now = timezone.now()
    made = {"open": 0, "fixed": 0, "penalised": 0}
    for op in Operator.objects.order_by("code"):
        bikes = list(
            Bike.objects.filter(operator=op, lat__isnull=False)
            .exclude(notices__isnull=False)
            .order_by("pk")[:40]
        )
        plan = [k for k, n in PER_OPERATOR.items() for _ in range(n)]
        for kind, bike in zip(plan, bikes, strict=False):
            lat, lng = _bad_spot(rng, bike.lat or 0.0, bike.lng or 0.0)
            age = {"open": 2, "fixed": 40, "penalised": 90}[kind] + rng.randint(0, 5)
            at = now - timedelta(minutes=age)
            summary = parked_bikes_evaluate(
                observations=[
                    ParkedObservation(
                        bike_id=bike.pk,
                        operator_id=op.pk,
                        at=at,
                        lat=lat,
                        lng=lng,
                        accuracy_m=round(rng.uniform(1.0, 4.0), 1),
                        source="demo-notice",
                        source_id=f"demo-notice-{bike.pk}",
                    )
                ],
                open_notices=False,
            )
            check: ParkingCheck | None = summary.checks[0] if summary.checks else None
            if check is None or check.verdict != Verdict.OUTSIDE:
                continue
            notice = notice_open(check=check, now=at + timedelta(seconds=3))
            if notice is None:
                continue
            if kind == "fixed":
                bikes_moved(
                    observations=[
                        MovedObservation(
                            bike_id=bike.pk,
                            operator_id=op.pk,
                            at=at + timedelta(minutes=rng.randint(4, 13)),
                            reason=rng.choice(["compliance_pick_up", "rebalance_pick_up"]),
                            source_id=f"demo-fix-{bike.pk}",
                        )
                    ]
                )
            made[kind] += 1
    penalties_issue_due(now)
    penalty_documents_issue(now, budget_s=120)
    ctx.say(f"notices: demo reminders {made}")
