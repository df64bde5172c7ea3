from django.urls import path

from groups import views

app_name = "groups"

urlpatterns = [
    path("grupper/<int:pk>/", views.detail, name="detail"),
]
