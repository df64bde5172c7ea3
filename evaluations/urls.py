from django.urls import path

from evaluations import views

app_name = "evaluations"

urlpatterns = [
    path("evaluering/<int:pk>/", views.answer, name="answer"),
    path("evalueringer/", views.hr_overview, name="overview"),
    path("evalueringer/mine/", views.facilitator_overview, name="mine"),
    path("evalueringer/moedegange/<int:pk>/", views.session_detail, name="session"),
]
