from django.urls import path

from managers import views

app_name = "managers"

urlpatterns = [
    path("mit-team/", views.team, name="team"),
    path("mit-team/export.csv", views.export_csv, name="export"),
    path("mit-team/export.xlsx", views.export_xlsx, name="export_xlsx"),
    path("mit-team/<int:leader_pk>/plads/", views.place, name="place"),
    path("mit-team/reservationer/", views.reservations, name="reservations"),
    path("mit-team/reservationer/<int:pk>/", views.reservation, name="reservation"),
    path("mit-team/afbud/", views.absences, name="absences"),
    path("mit-team/afbud/<int:pk>/", views.decide_absence, name="decide_absence"),
    path("mit-team/anmodninger/", views.approvals, name="approvals"),
    path("mit-team/anmodninger/<int:pk>/", views.decide, name="decide"),
]
