"""The kursusbevis: a one-page A4 PDF for a leader who completed the programme, with a
verification code anyone can check at ``/verify/<code>/``.

What counts as completed is the stored standing (:mod:`programme.progress`), as on
every page. The PDF is made from a Django template by WeasyPrint (HTML and CSS to
PDF through Pango, with the fonts embedded), so its wording is translated like any
page; the QR code is segno's SVG of the verification address.
"""

from __future__ import annotations

import segno
from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from programme import clock
from programme.models import Certificate, Leader, Programme
from programme.progress import LeaderProgress, stored_progress


class NotCompleted(Exception):
    """The leader has not completed the programme: there is no certificate to give."""


def verify_url(certificate: Certificate) -> str:
    return settings.PORTAL_URL + reverse("verify_certificate", args=[certificate.code])


def issue(*, leader: Leader, programme: Programme) -> tuple[Certificate, LeaderProgress]:
    """The leader's certificate, issued the first time it is asked for.

    Refused (:class:`NotCompleted`) unless the stored standing says the programme is
    completed. The completion date is the date of the session that completed it.
    """
    progress = stored_progress(leader, programme, now=clock.now())
    if not progress.completed:
        raise NotCompleted(
            _("%(leader)s has not completed %(programme)s yet.")
            % {"leader": leader.name, "programme": programme.name}
        )
    completed_on = timezone.localdate(progress.completed_at)
    certificate = Certificate.objects.filter(leader=leader, programme=programme).first()
    if certificate is None:
        try:
            with transaction.atomic():
                certificate = Certificate.objects.create(
                    leader=leader, programme=programme, completed_on=completed_on
                )
        except IntegrityError:  # issued at the same moment by another request
            certificate = Certificate.objects.get(leader=leader, programme=programme)
    elif certificate.completed_on != completed_on:
        # HR corrected the attendance behind it: the certificate follows.
        certificate.completed_on = completed_on
        certificate.save(update_fields=["completed_on"])
    return certificate, progress


def render_pdf(certificate: Certificate, progress: LeaderProgress) -> bytes:
    from weasyprint import HTML

    url = verify_url(certificate)
    qr = segno.make(url, error="m").svg_inline(scale=4, omitsize=True, border=2, svgclass="qr")
    html = render_to_string(
        "certificates/kursusbevis.pdf.html",
        {
            "certificate": certificate,
            "leader": certificate.leader,
            "programme": certificate.programme,
            "modules": progress.modules,
            "verify_url": url,
            "qr": mark_safe(qr),  # noqa: S308 - segno's own SVG of our own URL
            "municipality": _("Albertslund Kommune"),
        },
    )
    return HTML(string=html, base_url=settings.PORTAL_URL).write_pdf()


def filename(certificate: Certificate) -> str:
    return f"kursusbevis-{certificate.code}.pdf"
