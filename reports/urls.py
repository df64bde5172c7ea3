from django.urls import path

from reports import forecast_views, views

app_name = "reports"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("departments/<int:pk>/", views.department, name="department"),
    path("export.csv", views.export, name="export"),
    path("export.xlsx", views.export_xlsx, name="export_xlsx"),
    path("forecast/", forecast_views.page, name="forecast"),
    path("forecast.csv", forecast_views.series_csv, name="forecast_csv"),
    # Last: any other single word is a compliance list (not_enrolled, behind).
    path("<slug:status>/", views.compliance, name="compliance"),
]
