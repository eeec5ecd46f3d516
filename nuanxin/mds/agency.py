"""MDS Agency 2.0 endpoints under /mds/agency/ (operators push to the city).

Plain Django views rather than django-ninja: the responses must be MDS-shaped
(bulk `success/total/failures`, `error/error_description/error_details`), and the ingest
path parses JSON once and validates by hand for speed.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import orjson
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from nuanxin.accounts.models import ApiToken
from nuanxin.accounts.selectors import api_token_authenticate
from nuanxin.bikes.models import Bike, Operator
from nuanxin.bikes.policy import bike_policy
from nuanxin.bikes.services import VehicleIn, bikes_register, bikes_update, plate_check
from nuanxin.core.errors import DomainError
from nuanxin.lib.gcpause import collector_paused
from nuanxin.mds import validate as v
from nuanxin.mds.ingest import (
    BatchRefused,
    BulkResult,
    body_parse,
    body_too_large,
    events_ingest,
    telemetry_ingest,
    trips_ingest,
)
from nuanxin.mds.models import MdsEvent, Telemetry

MDS_VERSION = "2.0.0"
# MDS versioning (general-information.md): the media type names major.minor only.
MEDIA_VERSION = "2.0"
SUPPORTED_VERSIONS = frozenset([MEDIA_VERSION])
CONTENT_TYPE = f"application/vnd.mds+json;version={MEDIA_VERSION}"


def mds_response(body: dict[str, Any], status: int = 200) -> HttpResponse:
    return HttpResponse(
        orjson.dumps(body, default=str),
        status=status,
        content_type=CONTENT_TYPE,
    )


def mds_error(status: int, error: str, description: str, details: list[str]) -> HttpResponse:
    return mds_response(
        {"error": error, "error_description": description, "error_details": details}, status
    )


def version_refused(request: HttpRequest) -> HttpResponse | None:
    """406 when the Accept header names MDS media types (`application/vnd.mds+json`, or
    the older `vnd.mds.agency+json` / `vnd.mds.provider+json`) and none of them a version we
    speak, as MDS versioning requires; None otherwise. A header without an MDS media type
    (plain `application/json`, `*/*`, none at all) and an MDS one without a version are
    served the version we speak: MDS lets an API answer a client that names no version in
    a fallback version, and 2.0 is our only one. A range with q=0 is one the client refuses."""
    header = request.headers.get("Accept", "")
    if "vnd.mds" not in header.lower():
        return None
    asked: list[str] = []
    for media_range in header.split(","):
        media, *params = (part.strip() for part in media_range.split(";"))
        media = media.lower()
        if not (media.startswith("application/vnd.mds") and media.endswith("+json")):
            continue
        values = {}
        for param in params:
            name, _sep, value = param.partition("=")
            values[name.strip().lower()] = value.strip().strip('"')
        if _refused_range(values.get("q")):
            continue
        version = values.get("version")
        if version is None or version in SUPPORTED_VERSIONS:
            return None
        asked.append(version)
    if not asked:
        return None
    return mds_error(
        406,
        "not_acceptable",
        _("不支持所请求的 MDS 版本 %(asked)s；本平台支持 %(supported)s（Accept: %(media)s）。")
        % {
            "asked": ", ".join(asked),
            "supported": ", ".join(sorted(SUPPORTED_VERSIONS)),
            "media": CONTENT_TYPE,
        },
        ["Accept"],
    )


def _refused_range(q: str | None) -> bool:
    """Whether a media range's quality is 0 (RFC 9110: "not acceptable")."""
    try:
        return q is not None and float(q) == 0
    except ValueError:
        return False


def mds_versioned(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The MDS version check (`version_refused`) before the view."""

    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        refused = version_refused(request)
        if refused is not None:
            return refused
        return view(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def operator_from_request(request: HttpRequest) -> Operator | None:
    header = request.headers.get("Authorization", "")
    scheme, _sep, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw:
        return None
    token = api_token_authenticate(raw)
    if token is None or token.kind != ApiToken.Kind.OPERATOR or token.operator is None:
        return None
    return token.operator


def agency_endpoint(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """MDS version checked (406); operator bearer token required; request.operator set;
    body parse errors → MDS 400."""

    @csrf_exempt
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        not_acceptable = version_refused(request)
        if not_acceptable is not None:
            return not_acceptable
        operator = operator_from_request(request)
        if operator is None:
            return mds_error(
                401,
                "unauthorized",
                _("未认证：请在 Authorization 头中提供运营企业的 Bearer 令牌。"),
                ["Authorization"],
            )
        request.operator = operator  # type: ignore[attr-defined]
        try:
            return view(request, *args, **kwargs)
        except BatchRefused as exc:
            return mds_response(exc.body(), exc.status)
        except RequestDataTooBig:  # reading request.body: MDS-shaped, not Django's HTML 400
            refused = body_too_large()
            return mds_response(refused.body(), refused.status)

    wrapper.__name__ = view.__name__
    return wrapper


def parse_body(request: HttpRequest) -> Any:
    return body_parse(request.body)


def bulk_response(result: BulkResult) -> HttpResponse:
    return mds_response(result.ordered_body(), result.status)


# --- ingest ------------------------------------------------------------------------------


@agency_endpoint
@require_http_methods(["POST"])
def events(request: HttpRequest) -> HttpResponse:
    with collector_paused():  # the parsed body's objects too (see collector_paused)
        # The body's bytes alone: decoded by the compiled checks, into dicts only if needed.
        result = events_ingest(operator=request.operator, body=request.body)  # type: ignore[attr-defined]
        return bulk_response(result)


@agency_endpoint
@require_http_methods(["POST"])
def telemetry(request: HttpRequest) -> HttpResponse:
    with collector_paused():
        result = telemetry_ingest(operator=request.operator, body=request.body)  # type: ignore[attr-defined]
        return bulk_response(result)


@agency_endpoint
@require_http_methods(["POST"])
def trips(request: HttpRequest) -> HttpResponse:
    return bulk_response(trips_ingest(operator=request.operator, items=parse_body(request)))  # type: ignore[attr-defined]


# --- vehicles ----------------------------------------------------------------------------


def vehicle_in(item: Any, operator: Operator) -> VehicleIn:
    if not isinstance(item, dict):
        raise v.bad("item", _("每一项必须是 JSON 对象。"))
    device_id = v.as_uuid(item, "device_id")
    provider = v.as_uuid(item, "provider_id")
    if provider != operator.provider_id:
        raise v.bad("provider_id", _("provider_id 与令牌所属运营企业不符。"))
    for key in ("vehicle_id", "vehicle_type", "propulsion_types"):
        if item.get(key) in (None, "", []):
            raise v.missing(key)
    if not isinstance(item["vehicle_id"], str):
        raise v.bad("vehicle_id", _("vehicle_id（车牌）必须是字符串。"))
    try:
        plate = plate_check(plate=item["vehicle_id"], operator=operator)
    except DomainError as exc:
        raise v.bad("vehicle_id", exc.message) from None
    policy = bike_policy()
    vehicle_type = item["vehicle_type"]
    if not isinstance(vehicle_type, str) or vehicle_type not in policy.vehicle_types:
        raise v.bad("vehicle_type", _("vehicle_type 无效：%(v)s") % {"v": v.shown(vehicle_type)})
    props = item["propulsion_types"]
    if (
        not isinstance(props, list)
        or not all(isinstance(p, str) and p in policy.propulsion_types for p in props)
        or len(set(props)) != len(props)  # propulsion-type-array: uniqueItems
    ):
        raise v.bad("propulsion_types", _("propulsion_types 无效。"))
    return VehicleIn(
        device_id=device_id,  # type: ignore[arg-type]
        plate=plate,
        vehicle_type=item["vehicle_type"],
        propulsion_types=tuple(props),
        battery_capacity=v.as_int(item, "battery_capacity", required=False),
        maximum_speed=v.as_int(item, "maximum_speed", required=False),
    )


def vehicle_json(bike: Bike, operator: Operator) -> dict[str, Any]:
    data: dict[str, Any] = {
        "device_id": str(bike.device_id),
        "provider_id": str(operator.provider_id),
        "vehicle_id": bike.plate,
        "vehicle_type": bike.vehicle_type,
        "propulsion_types": list(bike.propulsion_types),
    }
    if bike.battery_capacity is not None:
        data["battery_capacity"] = bike.battery_capacity
    if bike.maximum_speed is not None:
        data["maximum_speed"] = bike.maximum_speed
    return data


def _vehicles_write(request: HttpRequest, *, update: bool) -> HttpResponse:
    operator: Operator = request.operator  # type: ignore[attr-defined]
    items = parse_body(request)
    if not isinstance(items, list) or not items:
        raise BatchRefused(400, "bad_param", _("请求体必须是非空 JSON 数组。"), ["body"])
    if len(items) > bike_policy().max_batch_items:
        raise BatchRefused(
            413,
            "bad_param",
            _("单批最多 %(max)d 条。") % {"max": bike_policy().max_batch_items},
            [f"body: {len(items)} items"],
        )
    result = BulkResult(total=len(items), items=items)
    good: list[tuple[int, VehicleIn]] = []
    for index, item in enumerate(items):
        try:
            good.append((index, vehicle_in(item, operator)))
        except v.ItemError as exc:
            result.add_failure(item, exc)
    label = f"operator:{operator.code}"
    if update:
        count, failures = bikes_update(operator=operator, vehicles=good, actor_label=label)
        result.success = count
    else:
        created, failures = bikes_register(operator=operator, vehicles=good, actor_label=label)
        result.success = len(created)
    for f in failures:
        result.add_failure(items[f.index], v.ItemError(f.error, f.description, f.details))
    status = 200 if update else 201
    if result.failures and not result.success:
        errors = {f["error"] for f in result.failures}
        status = (
            409 if errors == {"already_registered"} else 404 if errors == {"unregistered"} else 400
        )
    return mds_response(result.ordered_body(), status)


@agency_endpoint
@require_http_methods(["GET", "POST", "PUT"])
def vehicles(request: HttpRequest) -> HttpResponse:
    operator: Operator = request.operator  # type: ignore[attr-defined]
    if request.method == "POST":
        return _vehicles_write(request, update=False)
    if request.method == "PUT":
        return _vehicles_write(request, update=True)
    page, size = _paging(request)
    qs = Bike.objects.filter(operator=operator).order_by("pk")
    total = qs.count()
    bikes = list(qs[(page - 1) * size : page * size])
    body: dict[str, Any] = {
        "version": MDS_VERSION,
        "vehicles": [vehicle_json(b, operator) for b in bikes],
        "links": _links(request, page, size, total),
    }
    return mds_response(body)


def _paging(request: HttpRequest) -> tuple[int, int]:
    try:
        page = max(1, int(request.GET.get("page", "1")))
        size = min(1000, max(1, int(request.GET.get("page_size", "1000"))))
    except ValueError:
        raise BatchRefused(400, "bad_param", _("分页参数必须是整数。"), ["page"]) from None
    return page, size


def _links(request: HttpRequest, page: int, size: int, total: int) -> dict[str, Any]:
    base = request.build_absolute_uri(request.path)
    last = max(1, -(-total // size))
    links: dict[str, Any] = {
        "first": f"{base}?page=1&page_size={size}",
        "last": f"{base}?page={last}&page_size={size}",
    }
    links["prev"] = f"{base}?page={page - 1}&page_size={size}" if page > 1 else None
    links["next"] = f"{base}?page={page + 1}&page_size={size}" if page < last else None
    return links


def _own_bike(request: HttpRequest, device_id: str) -> Bike | HttpResponse:
    """The operator's own bike, or an MDS error (another operator's bike is 'not found')."""
    try:
        did = uuid.UUID(device_id)
    except ValueError:
        return mds_error(400, "bad_param", _("device_id 必须是 UUID。"), ["device_id"])
    bike = Bike.objects.filter(device_id=did, operator=request.operator).first()  # type: ignore[attr-defined]
    if bike is None:
        return mds_error(404, "unregistered", _("该 device_id 未登记。"), ["device_id"])
    return bike


@agency_endpoint
@require_http_methods(["GET"])
def vehicle_detail(request: HttpRequest, device_id: str) -> HttpResponse:
    bike = _own_bike(request, device_id)
    if isinstance(bike, HttpResponse):
        return bike
    return mds_response(
        {"version": MDS_VERSION, "vehicles": [vehicle_json(bike, request.operator)]}  # type: ignore[attr-defined]
    )


def _ms(t: Any) -> int:
    return round(t.timestamp() * 1000)


def event_json(e: MdsEvent, operator: Operator, device_id: uuid.UUID) -> dict[str, Any]:
    """An MDS event rebuilt from its columns plus the extensions kept in `payload`."""
    extra = dict(e.payload or {})
    data: dict[str, Any] = {
        "event_id": str(e.event_id),
        "device_id": str(device_id),
        "provider_id": str(operator.provider_id),
        "vehicle_state": e.vehicle_state,
        "event_types": list(e.event_types),
        "timestamp": _ms(e.timestamp),
        **extra,
    }
    if e.lat is not None and "location" not in extra:
        data["location"] = {"lat": e.lat, "lng": e.lng}
        if e.accuracy_m is not None:
            data["location"]["horizontal_accuracy"] = e.accuracy_m
    if e.trip_ids:
        data["trip_ids"] = list(e.trip_ids)
    if e.battery_percent is not None:
        data["battery_percent"] = e.battery_percent
    if e.associated_ticket:
        data["associated_ticket"] = e.associated_ticket
    return data


def telemetry_json(t: Telemetry, operator: Operator, device_id: uuid.UUID) -> dict[str, Any]:
    extra = dict(t.payload or {})
    location: dict[str, Any] = {"lat": t.lat, "lng": t.lng}
    if t.accuracy_m is not None:
        location["horizontal_accuracy"] = t.accuracy_m
    if t.speed is not None:
        location["speed"] = t.speed
    data: dict[str, Any] = {
        "telemetry_id": str(t.telemetry_id),
        "device_id": str(device_id),
        "provider_id": str(operator.provider_id),
        "timestamp": _ms(t.timestamp),
        "trip_ids": list(t.trip_ids) if t.trip_ids else None,
        "journey_id": str(t.journey_id) if t.journey_id else None,
        "location": location,
        **extra,
    }
    if t.battery_percent is not None:
        data["battery_percent"] = t.battery_percent
    return data


def vehicle_status_json(bike: Bike, operator: Operator) -> dict[str, Any] | None:
    event = MdsEvent.objects.filter(bike=bike).order_by("-timestamp").first()
    tele = Telemetry.objects.filter(bike=bike).order_by("-timestamp").first()
    if event is None or tele is None:
        return None
    return {
        "device_id": str(bike.device_id),
        "provider_id": str(operator.provider_id),
        "last_event": event_json(event, operator, bike.device_id),
        "last_telemetry": telemetry_json(tele, operator, bike.device_id),
    }


@agency_endpoint
@require_http_methods(["GET"])
def vehicle_status_detail(request: HttpRequest, device_id: str) -> HttpResponse:
    bike = _own_bike(request, device_id)
    if isinstance(bike, HttpResponse):
        return bike
    status = vehicle_status_json(bike, request.operator)  # type: ignore[attr-defined]
    if status is None:
        return mds_error(
            404,
            "not_found",
            _("该车辆尚无事件或轨迹上报。"),
            ["device_id: no event and telemetry yet"],
        )
    return mds_response({"version": MDS_VERSION, "vehicles_status": [status]})


@agency_endpoint
@require_http_methods(["GET"])
def vehicles_status(request: HttpRequest) -> HttpResponse:
    operator: Operator = request.operator  # type: ignore[attr-defined]
    page, size = _paging(request)
    size = min(size, 200)
    qs = Bike.objects.filter(operator=operator).order_by("pk")
    total = qs.count()
    statuses = [vehicle_status_json(b, operator) for b in qs[(page - 1) * size : page * size]]
    return mds_response(
        {
            "version": MDS_VERSION,
            "vehicles_status": [s for s in statuses if s is not None],
            "links": _links(request, page, size, total),
        }
    )
