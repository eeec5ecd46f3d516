from django.urls import path

from nuanxin.mds import agency, publish

app_name = "mds"
urlpatterns: list = [
    path("mds/agency/vehicles", agency.vehicles, name="agency-vehicles"),
    path("mds/agency/vehicles/status", agency.vehicles_status, name="agency-vehicles-status"),
    path(
        "mds/agency/vehicles/status/<str:device_id>",
        agency.vehicle_status_detail,
        name="agency-vehicle-status",
    ),
    path("mds/agency/vehicles/<str:device_id>", agency.vehicle_detail, name="agency-vehicle"),
    path("mds/agency/events", agency.events, name="agency-events"),
    path("mds/agency/telemetry", agency.telemetry, name="agency-telemetry"),
    path("mds/agency/trips", agency.trips, name="agency-trips"),
    path("mds/policy/policies", publish.policies, name="policies"),
    path("mds/policy/policies/<str:policy_id>", publish.policy_detail, name="policy"),
    path("mds/policy/requirements", publish.requirements, name="requirements"),
    path("mds/geography/geographies", publish.geographies, name="geographies"),
    path(
        "mds/geography/geographies/<str:geography_id>", publish.geography_detail, name="geography"
    ),
    path("gbfs/gbfs.json", publish.gbfs_manifest, name="gbfs"),
    path("gbfs/<str:feed>.json", publish.gbfs_feed, name="gbfs-feed"),
]
