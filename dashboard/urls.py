from django.urls import path

from dashboard import cohort_views, feeds, file_views, views

app_name = "dashboard"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("calendar.ics", file_views.schedule_ics, name="schedule_ics"),
    path("calendar/<str:token>.ics", feeds.feed, name="calendar_feed"),
    path("calendar/renew/", feeds.renew_feed, name="renew_calendar_feed"),
    path("kursusbevis.pdf", file_views.certificate_pdf, name="certificate"),
    path("cohorts/", cohort_views.cohort_list, name="cohort_list"),
    path("cohorts/<int:pk>/", cohort_views.cohort_detail, name="cohort_detail"),
    path("cohorts/<int:pk>/enrol/", cohort_views.enrol, name="enrol"),
    path("enrolments/<int:pk>/cancel/", cohort_views.cancel, name="cancel"),
    path("requests/<int:pk>/withdraw/", cohort_views.withdraw_request, name="withdraw_request"),
    path("sessions/<int:pk>/calendar.ics", file_views.session_ics, name="session_ics"),
    path("sessions/<int:pk>/make-up/", views.book_makeup, name="book_makeup"),
    path("sessions/<int:pk>/afbud/", views.report_absence, name="report_absence"),
    path("make-ups/<int:pk>/cancel/", views.cancel_makeup, name="cancel_makeup"),
]
