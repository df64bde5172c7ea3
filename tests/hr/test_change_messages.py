"""The admin's change log names changed fields in Danish, and rights read in Danish.

Django stores the labels of changed fields in English (``construct_change_message``
runs with translations off) and translates them when the log is shown, with
``gettext(label)``. A label is ``capfirst(verbose_name)``: "Seats", whose Danish is
not that of "seats". Every such label needs its own entry in the catalogue
(``programme/field_labels.py`` lists them for ``make messages``).
"""

import pytest
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, Permission
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

import demo
from programme.third_party_messages import permission_label
from tests.conftest import NOW
from tests.forms import form_fields

# Labels that read the same in Danish and English.
SAME_IN_DANISH = {"Status", "E-mail", "Type", "Dimension", "Organisation", "Version", "Login"}


@pytest.fixture(autouse=True)
def _clock(settings):
    settings.PORTAL_CLOCK = NOW.isoformat()


def english_labels(superuser) -> dict[str, set[str]]:
    """Every label of every admin add and change form and their inline forms, as the
    change log stores it."""
    request = RequestFactory().get("/admin/")
    request.user = superuser
    labels: dict[str, set[str]] = {}
    with translation.override(None):
        for model, model_admin in admin.site._registry.items():
            forms = []
            obj = model._default_manager.order_by("pk").first()
            for target in [obj, None] if obj is not None else [None]:
                try:
                    forms.append(model_admin.get_form(request, target, change=target is not None))
                except AttributeError:
                    # django-post-office's e-mail admin builds no add form: its
                    # fieldsets read the object's message id.
                    continue
                forms += [
                    inline.get_formset(request, target).form
                    for inline in model_admin.get_inline_instances(request, target)
                ]
            for form in forms:
                for name, field in form.base_fields.items():
                    label = str(field.label) if field.label else name
                    labels.setdefault(label, set()).add(model._meta.label)
    return labels


def test_every_field_label_of_the_admin_has_a_danish_translation(superuser):
    demo.seed(leaders=12)  # an object of every model, for its change form
    labels = english_labels(superuser)
    assert "Seats" in labels
    with translation.override("da"):
        untranslated = {
            label: sorted(models)
            for label, models in labels.items()
            if translation.gettext(label) == label and label not in SAME_IN_DANISH
        }
    assert untranslated == {}, (
        f"add these to programme/field_labels.py and translate them: {sorted(untranslated)}"
    )


def test_changing_a_cohorts_seats_reads_in_danish_in_its_history(client, hr, cohort):
    client.force_login(hr)
    url = reverse("admin:programme_cohort_change", args=[cohort.pk])
    data = form_fields(client.get(url).text, "cohort_form")
    data["capacity"] = str(cohort.capacity + 5)
    assert client.post(url, data).status_code == 302

    entry = LogEntry.objects.get(object_id=str(cohort.pk), action_flag=2)
    with translation.override("da"):
        assert entry.get_change_message() == "Ændrede Pladser."
    with translation.override("en"):
        assert entry.get_change_message() == "Changed Seats."


def test_rights_read_in_danish_wherever_they_are_listed(client, superuser, hr):
    right = Permission.objects.get(codename="add_cohort")
    with translation.override("da"):
        assert permission_label(right) == "Digital ledelse | hold | Kan tilføje hold"
    with translation.override("en"):
        assert permission_label(right) == "Digital leadership | cohort | Can add cohort"
    client.force_login(superuser)
    for url in (
        reverse("admin:auth_group_add"),
        reverse("admin:programme_user_change", args=[superuser.pk]),
    ):
        page = client.get(url).text
        assert "Kan tilføje hold" in page
        assert "Can add" not in page

    # HR sees a login's own rights read-only, in the same words.
    hr.user_permissions.add(right)
    hr.user_permissions.add(Permission.objects.get(codename="view_user"))
    client.force_login(hr)
    page = client.get(reverse("admin:programme_user_change", args=[hr.pk])).text
    assert 'name="user_permissions"' not in page
    assert "Digital ledelse | hold | Kan tilføje hold" in page
    assert "Can add" not in page
    with translation.override("da"):
        assert str(type(hr)._meta.get_field("user_permissions").help_text) in page


def test_deleting_a_group_lists_its_rights_in_danish(client, superuser):
    group = Group.objects.create(name="Koordinatorer")
    group.permissions.add(Permission.objects.get(codename="view_cohort"))
    superuser.groups.add(group)
    client.force_login(superuser)
    page = client.get(reverse("admin:auth_group_delete", args=[group.pk])).text
    assert "Gruppe – rettighed: Koordinatorer – Digital ledelse | hold | Kan se hold" in page
    assert f"Bruger – gruppe: {superuser} – Koordinatorer" in page
    assert "Gruppe – rettigheder" in page and "Bruger – grupper" in page
    assert "object (" not in page
