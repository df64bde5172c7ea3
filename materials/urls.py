from django.urls import path

from materials import views

app_name = "materials"

urlpatterns = [
    path("materialer/", views.material_list, name="list"),
    path("materialer/<int:pk>/fil/", views.material_file, name="file"),
]
