"""MDS Policy Requirements (policy/README.md#requirements; models/requirements.yaml): which
parts of MDS the city requires of the operators of its dockless-bike program, and which
endpoints it serves to them.

The document is built when asked for. Its `file_version` must grow by one with each
modification, and `last_updated` say when that version appeared: the part that can change
(the program's providers, the agency's name) is kept per version (`RequirementsVersion`),
and a new version is recorded, with an audit row, the first time the document is asked for
after that part changed. URLs are built from the request and are not part of a version.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from nuanxin.audit.services import audit_record
from nuanxin.bikes.models import Operator
from nuanxin.bikes.policy import bike_policy
from nuanxin.mds.models import RequirementsVersion
from nuanxin.mds.policy import NAMESPACE, ms
from nuanxin.orgs.models import Bureau

MDS_RELEASE = "2.0.0"
GBFS_VERSION = "3.0"
CURRENCY = "CNY"
MAX_UPDATE_INTERVAL = "PT1H"
# The program has no end date. The MDS text lets `end_date` be null, but its schema
# (data-types/timestamp.yaml, a number) does not: the last instant of 2099 stands for "open".
OPEN_END_MS = 4102444799000
# What operators must send us (Agency), and what we serve them (path under the site root).
REQUIRED_AGENCY_ENDPOINTS = ("vehicles", "events", "telemetry", "trips")
AVAILABLE = {
    "agency": [
        ("vehicles", "/mds/agency/vehicles"),
        ("vehicles/status", "/mds/agency/vehicles/status"),
        ("events", "/mds/agency/events"),
        ("telemetry", "/mds/agency/telemetry"),
        ("trips", "/mds/agency/trips"),
    ],
    "policy": [
        ("policies", "/mds/policy/policies"),
        ("requirements", "/mds/policy/requirements"),
    ],
    "geography": [("geographies", "/mds/geography/geographies")],
}
REQUIREMENTS_PATH = "/mds/policy/requirements"


def bcp47(language_code: str) -> str:
    """Django's language code as a BCP 47 tag: "zh-hans" → "zh-Hans", "en-us" → "en-US"."""
    lang, *rest = language_code.split("-")
    parts = [lang.lower()]
    for part in rest:
        parts.append(part.title() if len(part) == 4 else part.upper())
    return "-".join(parts)


def _agency() -> tuple[str, str]:
    """(agency_id, agency_name): the bureau that runs the program, named by its code."""
    bureau = Bureau.objects.order_by("pk").first()
    key = bureau.code if bureau is not None else settings.BUREAU_NAME
    name = bureau.name if bureau is not None else settings.BUREAU_NAME
    return str(uuid.uuid5(NAMESPACE, f"agency:{key}")), name


def _content() -> dict[str, Any] | None:
    """The part of the document that changes, or None while the program has no provider."""
    providers = sorted(str(p) for p in Operator.objects.values_list("provider_id", flat=True))
    if not providers:
        return None
    agency_id, agency_name = _agency()
    return {
        "agency_id": agency_id,
        "agency_name": agency_name,
        "provider_ids": providers,
        "vehicle_types": sorted(bike_policy().vehicle_types),
    }


def requirements_version(content: dict[str, Any]) -> RequirementsVersion:
    """The version whose content is `content`: the latest, or a new one (version + 1,
    audited) when the content changed since. Two requests that see the change together
    race on the unique `file_version`; the loser reads the winner's row."""
    for _attempt in range(3):
        latest = RequirementsVersion.objects.order_by("-file_version").first()
        if latest is not None and latest.content == content:
            return latest
        number = latest.file_version + 1 if latest is not None else 1
        try:
            with transaction.atomic():
                version = RequirementsVersion.objects.create(file_version=number, content=content)
                audit_record(
                    actor=None,
                    actor_label="system:mds",
                    action="mds_requirements.publish",
                    obj=version,
                    after={"file_version": number, "providers": len(content["provider_ids"])},
                )
            return version
        except IntegrityError:
            continue  # another request recorded this version first: read it
    raise RuntimeError("requirements version not recorded")  # pragma: no cover


def requirements_document(*, base: str) -> dict[str, Any] | None:
    """The Requirements document (models/requirements.yaml), or None while no operator is
    registered (a program needs at least one provider). `base`: the site root, for URLs."""
    content = _content()
    if content is None:
        return None
    version = requirements_version(content)
    first = RequirementsVersion.objects.order_by("file_version").values_list(
        "published_at", flat=True
    )[0]
    available = [
        {
            "api_name": api,
            "available_endpoints": [
                {"endpoint_name": name, "url": f"{base}{path}"} for name, path in endpoints
            ],
        }
        for api, endpoints in AVAILABLE.items()
    ]
    return {
        "metadata": {
            "mds_release": MDS_RELEASE,
            "file_version": version.file_version,
            "last_updated": ms(version.published_at),
            "max_update_interval": MAX_UPDATE_INTERVAL,
            "agency_id": content["agency_id"],
            "agency_name": content["agency_name"],
            "agency_timezone": settings.TIME_ZONE,
            "agency_language": bcp47(settings.LANGUAGE_CODE),
            "agency_currency": CURRENCY,
            "agency_website_url": f"{base}/",
            "url": f"{base}{REQUIREMENTS_PATH}",
        },
        "programs": [
            {
                "description": "共享单车入栏停放管理：运营企业经 MDS Agency 上报车辆、事件、"
                "轨迹和行程，停放点外停放由暖心提醒通知整改。"
                " / Dockless bikes park only in spots: operators report vehicles, events, "
                "telemetry and trips over MDS Agency.",
                "program_website_url": f"{base}/mds/policy/policies",
                "provider_ids": content["provider_ids"],
                "vehicle_type": content["vehicle_types"],
                "start_date": ms(first),
                "end_date": OPEN_END_MS,
                "required_data_specs": [
                    {
                        "data_spec_name": "MDS",
                        "version": MDS_RELEASE,
                        "mode_id": "micromobility",
                        "required_apis": [
                            {
                                "api_name": "agency",
                                "required_endpoints": [
                                    {"endpoint_name": name} for name in REQUIRED_AGENCY_ENDPOINTS
                                ],
                            }
                        ],
                        "available_apis": available,
                    },
                    {
                        "data_spec_name": "GBFS",
                        "version": GBFS_VERSION,
                        "available_apis": [
                            {
                                "api_name": "gbfs",
                                "available_endpoints": [
                                    {"endpoint_name": "gbfs", "url": f"{base}/gbfs/gbfs.json"}
                                ],
                            }
                        ],
                    },
                ],
            }
        ],
    }
