from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .models import Programme
from .progress import leader_progress


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """For the load balancer: 200 when the database answers, 503 when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        return HttpResponse("database unavailable\n", status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")


def dashboard(request: HttpRequest) -> HttpResponse:
    leader = getattr(request.user, "leader", None)
    programme = Programme.current()
    progress = leader_progress(leader, programme) if leader and programme else None
    return render(
        request,
        "programme/dashboard.html",
        {"leader": leader, "programme": programme, "progress": progress},
    )
