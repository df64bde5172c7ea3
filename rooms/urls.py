from django.urls import path

from rooms import views

app_name = "checkin"

urlpatterns = [
    path("facilitator/", views.facilitator_sessions, name="sessions"),
    path("facilitator/sessions/<int:pk>/", views.session_screen, name="screen"),
    path(
        "facilitator/sessions/<int:pk>/present/<int:leader_pk>/",
        views.mark_present,
        name="mark_present",
    ),
    path("facilitator/sessions/<int:pk>/close/", views.close, name="close"),
    path("check-in/", views.enter_code, name="enter"),
    path("check-in/done/", views.confirm, name="confirm"),
    path("check-in/<str:code>/", views.by_code, name="code"),
]
