from django.urls import path

from nuanxin.documents import views

app_name = "documents"
urlpatterns = [
    path("v/<str:token>", views.verify, name="verify"),
    path("v/<str:token>/pdf", views.verify_pdf, name="verify_pdf"),
    path("staff/documents/", views.document_list, name="list"),
    path("staff/documents/<int:document_id>/", views.document_detail, name="detail"),
    path("staff/documents/<int:document_id>/pdf", views.document_pdf, name="pdf"),
]
