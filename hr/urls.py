from django.urls import path

from hr import views

app_name = "hr"

urlpatterns = [
    path("hr/", views.start, name="start"),
]
