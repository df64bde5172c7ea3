from django.urls import path

from outcomes import report_views, views

app_name = "outcomes"

urlpatterns = [
    path("self-assessment/", views.self_assessment, name="self_assessment"),
    path("self-assessment/result/", views.assessment_result, name="assessment_result"),
    path("initiatives/", views.initiative_list, name="initiative_list"),
    path("initiatives/new/", views.initiative_edit, name="initiative_new"),
    path("initiatives/<int:pk>/", views.initiative_edit, name="initiative_edit"),
    path("idekatalog/", views.catalogue_page, name="catalogue"),
    path("idekatalog/<int:pk>/samarbejde/", views.collaborate, name="collaborate"),
    # The programme owner's view, beside the completion reports (portal/urls.py puts
    # these before the reports' own, whose last route takes any single word).
    path("reports/outcomes/", report_views.outcomes, name="report"),
    path("reports/outcomes/self-assessment.csv", report_views.outcomes_csv, name="report_csv"),
    path("reports/outcomes/initiatives.csv", report_views.initiatives_csv, name="initiatives_csv"),
]
