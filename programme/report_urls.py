from django.urls import path

from . import report_views

app_name = "reports"

urlpatterns = [
    path("", report_views.overview, name="overview"),
    path("departments/<int:pk>/", report_views.department, name="department"),
    path("export.csv", report_views.export, name="export"),
    path("export.xlsx", report_views.export_xlsx, name="export_xlsx"),
    path("outcomes/", report_views.outcomes, name="outcomes"),
    path("outcomes/self-assessment.csv", report_views.outcomes_csv, name="outcomes_csv"),
    path("outcomes/initiatives.csv", report_views.initiatives_csv, name="initiatives_csv"),
    # Last: any other single word is a compliance list (not_enrolled, behind).
    path("<slug:status>/", report_views.compliance, name="compliance"),
]
