from django.urls import path

from nuanxin.merchants import views_edit, views_portal, views_staff

app_name = "merchants"
urlpatterns = [
    path("staff/merchants/", views_staff.merchant_list, name="list"),
    path("staff/merchants/new/", views_edit.merchant_new, name="new"),
    path("staff/merchants/<int:merchant_id>/edit/", views_edit.merchant_edit, name="edit"),
    path("staff/merchants/<int:merchant_id>/licences/", views_edit.licence_new, name="licence_new"),
    path("staff/merchants/import/", views_staff.merchant_import_view, name="import"),
    path("staff/merchants/export.xlsx", views_staff.merchant_export_view, name="export"),
    path("staff/merchants/template.xlsx", views_staff.merchant_template_view, name="template"),
    path("staff/merchants/<int:merchant_id>/", views_staff.merchant_view, name="detail"),
    path(
        "staff/merchants/<int:merchant_id>/inspections/",
        views_staff.inspection_new,
        name="inspection_new",
    ),
    path("portal/", views_portal.portal_home, name="portal"),
    path("portal/merchants/<int:merchant_id>/", views_portal.portal_merchant, name="portal_detail"),
]
