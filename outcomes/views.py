"""The leader's own pages for what the programme is for: the self-assessment, their picture
before and after, and their digitalisation initiatives.

Only the signed-in leader's own rows are ever read here (one access helper per type;
someone else's initiative is a 404), except the initiatives their leaders chose to
share, in the catalogue of ideas. Nobody else has a page with a person's answers.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from outcomes import assessment, catalogue
from outcomes.forms import AssessmentForm, CatalogueForm, InitiativeForm
from outcomes.initiatives import save_initiative
from outcomes.models import AssessmentResponse, Initiative
from programme import clock
from programme.access import signed_in_leader
from programme.models import Leader, Programme, current_programme

Round = AssessmentResponse.Round


def _programme(request) -> Programme:
    programme = current_programme(request)
    if programme is None:
        raise Http404("No programme yet.")
    return programme


def _get_initiative_for_leader(leader: Leader, pk: int) -> Initiative:
    return get_object_or_404(Initiative, pk=pk, leader=leader)


def self_assessment(request: HttpRequest) -> HttpResponse:
    """The round that is open now: the form, filled in with earlier answers to revise."""
    leader = signed_in_leader(request)
    programme = _programme(request)
    now = clock.now()
    place = assessment.place_with_dates(leader, programme)
    window = assessment.open_round(programme, place, now)
    context = {
        "leader": leader,
        "programme": programme,
        "windows": assessment.windows(programme, place),
        "window": window,
    }
    if window is None:
        return render(request, "outcomes/closed.html", context)
    questionnaire = assessment.questionnaire_for(leader, programme, window.round)
    if questionnaire is None:
        return render(request, "outcomes/closed.html", context)
    statements = list(questionnaire.statements.order_by("order"))
    earlier = (
        AssessmentResponse.objects.filter(leader=leader, programme=programme, round=window.round)
        .prefetch_related("answers")
        .first()
    )
    initial = {}
    if earlier is not None:
        initial = {f"statement_{a.statement_id}": a.score for a in earlier.answers.all()}
        initial["free_text"] = earlier.free_text
    form = AssessmentForm(
        request.POST or None, initial=initial, questionnaire=questionnaire, statements=statements
    )
    if request.method == "POST" and form.is_valid():
        try:
            assessment.submit_answers(
                leader=leader,
                programme=programme,
                round=window.round,
                questionnaire=questionnaire,
                scores=form.scores(),
                free_text=form.cleaned_data["free_text"],
                now=now,
            )
        except assessment.AssessmentError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Thank you: your answers are saved."))
            if window.round == Round.FOLLOW_UP:
                return redirect("outcomes:assessment_result")
            return redirect("dashboard:dashboard")
    context.update(form=form, questionnaire=questionnaire, earlier=earlier)
    status = 400 if request.method == "POST" else 200
    return render(request, "outcomes/form.html", context, status=status)


# The chart's geometry, in SVG user units: a bar of BAR_WIDTH is a score of 5.
BAR_WIDTH = 300
LABEL_WIDTH = 110
GROUP_HEIGHT = 64


def score_chart(scores: list[assessment.DimensionScore]) -> dict:
    """Paired bars per dimension (before above after), scaled 0–5."""
    rows = []
    for index, score in enumerate(scores):
        top = index * GROUP_HEIGHT
        rows.append(
            {
                "score": score,
                "label_y": top + 28,
                "before_y": top + 8,
                "after_y": top + 30,
                "before_width": round(BAR_WIDTH * float(score.before or 0) / 5),
                "after_width": round(BAR_WIDTH * float(score.after or 0) / 5),
            }
        )
    return {
        "rows": rows,
        "bar_x": LABEL_WIDTH,
        "value_x": LABEL_WIDTH + BAR_WIDTH + 8,
        "width": LABEL_WIDTH + BAR_WIDTH + 60,
        "height": len(rows) * GROUP_HEIGHT,
        "ticks": [{"x": LABEL_WIDTH + BAR_WIDTH * n // 5, "label": n} for n in range(0, 6)],
    }


def assessment_result(request: HttpRequest) -> HttpResponse:
    """After the follow-up: the leader's own score per dimension before and after."""
    leader = signed_in_leader(request)
    programme = _programme(request)
    responses = list(
        AssessmentResponse.objects.filter(leader=leader, programme=programme).select_related(
            "questionnaire"
        )
    )
    by_round = {r.round: r for r in responses}
    if Round.FOLLOW_UP not in by_round:
        return render(request, "outcomes/result.html", {"leader": leader, "ready": False})
    scores = assessment.own_scores(responses)
    return render(
        request,
        "outcomes/result.html",
        {
            "leader": leader,
            "ready": True,
            "scores": scores,
            "chart": score_chart(scores),
            "baseline": by_round.get(Round.BASELINE),
            "follow_up": by_round[Round.FOLLOW_UP],
        },
    )


def initiative_list(request: HttpRequest) -> HttpResponse:
    leader = signed_in_leader(request)
    programme = _programme(request)
    initiatives = (
        Initiative.objects.filter(leader=leader, programme=programme)
        .select_related("other_department")
        .prefetch_related("status_changes")
    )
    return render(
        request, "outcomes/initiatives.html", {"leader": leader, "initiatives": initiatives}
    )


def initiative_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Register a new initiative, or change one of one's own (status, next step, ...)."""
    leader = signed_in_leader(request)
    programme = _programme(request)
    instance = _get_initiative_for_leader(leader, pk) if pk is not None else None
    form = InitiativeForm(request.POST or None, instance=instance, leader=leader)
    if request.method == "POST" and form.is_valid():
        save_initiative(form, programme=programme, now=clock.now())
        messages.success(request, _("Your initiative is saved."))
        return redirect("outcomes:initiative_list")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "outcomes/initiative_form.html",
        {"leader": leader, "form": form, "initiative": instance},
        status=status,
    )


CATALOGUE_PAGE_SIZE = 20


def catalogue_page(request: HttpRequest) -> HttpResponse:
    """The catalogue of ideas: every leader's shared initiatives, for leaders and HR."""
    leader = getattr(request.user, "leader", None)
    if leader is None and not request.user.is_hr:
        raise PermissionDenied
    programme = _programme(request)
    form = CatalogueForm(request.GET, areas=catalogue.areas())
    if form.is_valid():
        data = form.cleaned_data
        filters = catalogue.CatalogueFilters(
            text=data["q"], dimension=data["dimension"], area=data["area"], status=data["status"]
        )
    else:
        filters = catalogue.CatalogueFilters()
    found = catalogue.shared(programme, filters) if form.is_valid() else Initiative.objects.none()
    page = Paginator(found, CATALOGUE_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "outcomes/catalogue.html",
        {
            "leader": leader,
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "stems": catalogue.full_text_search(),
        },
        status=200 if form.is_valid() else 400,
    )


@require_POST
def collaborate(request: HttpRequest, pk: int) -> HttpResponse:
    """ "Vil samarbejde": the signed-in leader becomes a co-owner of a shared initiative."""
    leader = signed_in_leader(request)
    programme = _programme(request)
    initiative = get_object_or_404(
        Initiative.objects.select_related("leader__user", "leader__department"),
        pk=pk,
        programme=programme,
        shared_at__isnull=False,
    )
    try:
        joined = catalogue.collaborate(initiative, leader, clock.now())
    except catalogue.NotYours:
        messages.info(request, _("It is your own initiative."))
    else:
        if joined:
            messages.success(
                request,
                _(
                    "You now work on “%(title)s” with %(owner)s. We have sent you both an "
                    "e-mail with each other's address."
                )
                % {"title": initiative.title, "owner": initiative.leader.name},
            )
        else:
            messages.info(
                request, _("You already work on “%(title)s”.") % {"title": initiative.title}
            )
    return redirect(f"{reverse('outcomes:catalogue')}#initiative-{initiative.pk}")
