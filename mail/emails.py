"""The e-mails' texts: the shipped defaults, HR's wording of each, and filling them in.

HR words every e-mail in the admin (:class:`programme.models.EmailText`). Which
placeholders each kind offers, checking a text's and filling them in live in
:mod:`mail.placeholders` (below the models, which check their own texts), and
are offered here too.

Filling in is plain string substitution, not a template engine: a value is put in
exactly as it is (no HTML escaping in a plain-text e-mail, so ``Hansen & "Co"``
reads exactly that), and a value that looks like a placeholder or a template tag is
never evaluated.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext

from mail.models import EmailText
from mail.placeholders import (  # noqa: F401 - the texts' placeholders
    PLACEHOLDERS,
    fill,
    placeholder_errors,
)

Kind = EmailText.Kind


def sso_button_label() -> str:
    """The single sign-on button's label, as the sign-in page and the e-mails name it."""
    return settings.SSO_BUTTON_LABEL or gettext("Sign in with your work account")


def hr_values() -> dict[str, str]:
    return {
        "hr_name": settings.HR_CONTACT_NAME,
        "hr_email": settings.HR_CONTACT_EMAIL,
        "hr_phone": settings.HR_CONTACT_PHONE,
    }


def text_for(kind: str) -> EmailText:
    """HR's text for this kind of e-mail; the shipped default if HR's row is missing."""
    text = EmailText.objects.filter(kind=kind).first()
    if text is None:
        text, _created = EmailText.objects.get_or_create(kind=kind, defaults=DEFAULTS[kind])
    return text


def render(
    kind: str,
    values: dict[str, str],
    *,
    language: str | None = None,
    text: EmailText | None = None,
) -> tuple[str, str]:
    """Subject and body of one e-mail, filled in, in ``language`` (the portal's by default).

    ``text`` saves the query when one run renders many e-mails of one kind.
    """
    subject, body = (text or text_for(kind)).texts(language or settings.LANGUAGE_CODE)
    values = {**hr_values(), **values}
    # A subject is one line, whatever the values hold.
    return " ".join(fill(subject, values).split()), fill(body, values)


_SIGNATURE_DA = (
    "\n\nMed venlig hilsen\n{{ hr_name }}, Albertslund Kommune\n{{ hr_email }} · {{ hr_phone }}\n"
)
_SIGNATURE_EN = (
    "\n\nKind regards\n{{ hr_name }}, Albertslund Kommune\n{{ hr_email }} · {{ hr_phone }}\n"
)


def _texts(subject_da: str, body_da: str, subject_en: str, body_en: str) -> dict[str, str]:
    return {
        "subject_da": subject_da,
        "body_da": body_da + _SIGNATURE_DA,
        "subject_en": subject_en,
        "body_en": body_en + _SIGNATURE_EN,
    }


# The texts the portal shipped with before HR could word them (the data migration
# writes them; text_for() falls back to them).
DEFAULTS: dict[str, dict[str, str]] = {
    Kind.ENROLLED: _texts(
        "Du er tilmeldt {{ cohort }}",
        "Kære {{ name }}\n\nDu er tilmeldt {{ cohort }} i {{ programme }}.\n\n"
        "Dine mødegange:\n{{ sessions }}\n\n"
        "Med den vedhæftede kalenderfil kan du lægge mødegangene i Outlook.\n"
        "Du kan følge dit forløb og afmelde dig på portalen: {{ link }}",
        "You are enrolled in {{ cohort }}",
        "Dear {{ name }},\n\nYou are enrolled in {{ cohort }} of {{ programme }}.\n\n"
        "Your sessions:\n{{ sessions }}\n\n"
        "The attached calendar file adds the sessions to Outlook.\n"
        "You can see your progress and cancel on the portal: {{ link }}",
    ),
    Kind.WAITLISTED: _texts(
        "Du er på ventelisten til {{ cohort }}",
        "Kære {{ name }}\n\n{{ cohort }} er fuldt, så du er kommet på ventelisten. Når en "
        "plads bliver ledig, får den første på ventelisten den, og så skriver vi til dig.\n\n"
        "Du kan se din plads og afmelde dig på portalen: {{ link }}",
        "You are on the waitlist for {{ cohort }}",
        "Dear {{ name }},\n\n{{ cohort }} is full, so you are on its waitlist. When a seat "
        "becomes free, the first on the waitlist gets it, and we will write to you.\n\n"
        "You can see your place and cancel on the portal: {{ link }}",
    ),
    Kind.PROMOTED: _texts(
        "Du har fået en plads på {{ cohort }}",
        "Kære {{ name }}\n\nDer er blevet en plads ledig: Du er rykket fra ventelisten til en "
        "plads på {{ cohort }}.\n\nDine mødegange:\n{{ sessions }}\n\n"
        "Med den vedhæftede kalenderfil kan du lægge mødegangene i Outlook.\n"
        "Du kan følge dit forløb og afmelde dig på portalen: {{ link }}",
        "You have a seat in {{ cohort }}",
        "Dear {{ name }},\n\nA seat has become free: you have moved from the waitlist to a "
        "seat in {{ cohort }}.\n\nYour sessions:\n{{ sessions }}\n\n"
        "The attached calendar file adds the sessions to Outlook.\n"
        "You can see your progress and cancel on the portal: {{ link }}",
    ),
    Kind.CANCELLED: _texts(
        "Din plads på {{ cohort }} er afmeldt",
        "Kære {{ name }}\n\nDin plads på {{ cohort }} er afmeldt.\n\n"
        "Husk, at alle ledere skal gennemføre forløbet. Du kan vælge et andet hold på "
        "portalen: {{ link }}",
        "Your place in {{ cohort }} is cancelled",
        "Dear {{ name }},\n\nYour place in {{ cohort }} is cancelled.\n\n"
        "Remember that every leader must complete the programme. You can choose another "
        "cohort on the portal: {{ link }}",
    ),
    Kind.WAITLIST_CLOSED: _texts(
        "Ventelisten til {{ cohort }} er lukket",
        "Kære {{ name }}\n\n{{ cohort }} er gået i gang, så ventelisten er lukket, og du fik "
        "ikke en plads.\n\nAlle ledere skal gennemføre {{ programme }}. Hold med ledige "
        "pladser:\n{{ open_cohorts }}\n\nTilmeld dig et andet hold på portalen: {{ link }}",
        "The waitlist for {{ cohort }} is closed",
        "Dear {{ name }},\n\n{{ cohort }} has started, so its waitlist is closed and you did "
        "not get a seat.\n\nEvery leader must complete {{ programme }}. Cohorts with free "
        "seats:\n{{ open_cohorts }}\n\nEnrol in another cohort on the portal: {{ link }}",
    ),
    Kind.MAKEUP_BOOKED: _texts(
        "Du har fået en plads til {{ module }} på {{ cohort }}",
        "Kære {{ name }}\n\nDu har fået en plads til at tage {{ module }} igen sammen med "
        "{{ cohort }}.\n\nHvornår: {{ when }}\nHvor: {{ location }}\n\n"
        "Med den vedhæftede kalenderfil kan du lægge mødegangen i Outlook.\n"
        "Du kan se dine mødegange og afmelde pladsen på portalen: {{ link }}",
        "You have a seat for {{ module }} with {{ cohort }}",
        "Dear {{ name }},\n\nYou have a seat to take {{ module }} again with {{ cohort }}.\n\n"
        "When: {{ when }}\nWhere: {{ location }}\n\n"
        "The attached calendar file adds the session to Outlook.\n"
        "You can see your sessions and cancel the seat on the portal: {{ link }}",
    ),
    Kind.MAKEUP_CANCELLED: _texts(
        "Din plads til {{ module }} på {{ cohort }} er afmeldt",
        "Kære {{ name }}\n\nDin plads til {{ module }} sammen med {{ cohort }} er afmeldt.\n\n"
        "Hvornår: {{ when }}\nHvor: {{ location }}\n\n"
        "Den vedhæftede kalenderfil fjerner mødegangen fra Outlook.\n"
        "Du kan vælge en anden mødegang på portalen: {{ link }}",
        "Your seat for {{ module }} with {{ cohort }} is cancelled",
        "Dear {{ name }},\n\nYour seat for {{ module }} with {{ cohort }} is cancelled.\n\n"
        "When: {{ when }}\nWhere: {{ location }}\n\n"
        "The attached calendar file removes the session from Outlook.\n"
        "You can choose another session on the portal: {{ link }}",
    ),
    Kind.REMINDER_SESSION: _texts(
        "Påmindelse: {{ module }} den {{ date }}",
        "Kære {{ name }}\n\nDette er en påmindelse om din mødegang i forløbet om digital "
        "ledelse: {{ module }}.\n\nHvornår: {{ when }}\nHvor: {{ location }}\n{{ makeup_note }}\n"
        "Hvis du ikke kan komme, så giv HR besked hurtigst muligt.\n"
        "Du kan se dine mødegange og dit forløb på portalen: {{ link }}",
        "Reminder: {{ module }} on {{ date }}",
        "Dear {{ name }},\n\nThis is a reminder of your session in the digital leadership "
        "programme: {{ module }}.\n\nWhen: {{ when }}\nWhere: {{ location }}\n{{ makeup_note }}\n"
        "If you cannot come, please tell HR as soon as possible.\n"
        "You can see your sessions and your progress on the portal: {{ link }}",
    ),
    Kind.REMINDER_NOT_ENROLLED: _texts(
        "Husk at tilmelde dig {{ programme }}",
        "Kære {{ name }}\n\nAlle ledere i kommunen deltager i {{ programme }}, og du har endnu "
        "ikke en plads på et hold.\n\nHold, du stadig kan tilmelde dig:\n{{ open_cohorts }}\n\n"
        "Tilmeld dig på portalen under Hold. Er holdet fuldt, kommer du på ventelisten: "
        "{{ link }}",
        "Remember to enrol in {{ programme }}",
        "Dear {{ name }},\n\nEvery leader in the municipality takes part in {{ programme }}, "
        "and you do not have a place in a cohort yet.\n\nCohorts you can still enrol in:\n"
        "{{ open_cohorts }}\n\nEnrol on the portal under Cohorts. A full cohort puts you on "
        "its waitlist: {{ link }}",
    ),
    Kind.REMINDER_BEHIND: _texts(
        "Du mangler et modul i {{ programme }}",
        "Kære {{ name }}\n\nDu har misset et obligatorisk modul i {{ programme }}, som du "
        "endnu ikke har taget igen:\n{{ modules }}\n\nDu kan tage det igen på et andet hold. "
        "Mødegange med ledige pladser:\n{{ makeup_sessions }}\n\n"
        "Book en plads på portalen: {{ link }}",
        "You have a module to make up in {{ programme }}",
        "Dear {{ name }},\n\nYou have missed a required module in {{ programme }} that you "
        "have not made up yet:\n{{ modules }}\n\nYou can make it up with another cohort. "
        "Sessions with free seats:\n{{ makeup_sessions }}\n\n"
        "Book a seat on the portal: {{ link }}",
    ),
    Kind.INVITATION: _texts(
        "Velkommen til {{ programme }}: vælg din adgangskode",
        "Kære {{ name }}\n\nDu er med i {{ programme }}. På portalen tilmelder du dig et hold, "
        "ser dine mødegange og følger dit forløb.\n\nÅbn dette link for at vælge din "
        "adgangskode (linket virker én gang og i {{ valid_days }} dage):\n{{ link }}\n\n"
        "Du logger ind med din e-mailadresse: {{ email }}",
        "Welcome to {{ programme }}: choose your password",
        "Dear {{ name }},\n\nYou take part in {{ programme }}. On the portal you enrol in a "
        "cohort, see your sessions and follow your progress.\n\nOpen this link to choose your "
        "password (it works once, for {{ valid_days }} days):\n{{ link }}\n\n"
        "You sign in with your e-mail address: {{ email }}",
    ),
    Kind.INVITATION_SSO: _texts(
        "Velkommen til {{ programme }}",
        "Kære {{ name }}\n\nDu er med i {{ programme }}. På portalen tilmelder du dig et hold, "
        "ser dine mødegange og følger dit forløb.\n\nDu logger ind med din arbejdskonto, "
        'som du bruger på din arbejdscomputer: Åbn portalen og vælg "{{ button }}":\n'
        "{{ link }}",
        "Welcome to {{ programme }}",
        "Dear {{ name }},\n\nYou take part in {{ programme }}. On the portal you enrol in a "
        "cohort, see your sessions and follow your progress.\n\nYou sign in with your work "
        "account, the one you use on your work computer: open the portal and choose "
        '"{{ button }}":\n{{ link }}',
    ),
    Kind.PASSWORD_RESET: _texts(
        "Vælg en ny adgangskode til portalen for digital ledelse",
        "Hej {{ name }}\n\nNogen, forhåbentlig dig, har bedt om at vælge en ny adgangskode til "
        "portalen for digital ledelse. Åbn dette link for at vælge en:\n\n{{ link }}\n\n"
        "Du logger ind med din e-mailadresse: {{ email }}\n\n"
        "Hvis du ikke har bedt om det, kan du se bort fra denne e-mail: Din adgangskode "
        "forbliver den samme.",
        "Choose a new password for the digital leadership portal",
        "Hello {{ name }},\n\nSomeone, hopefully you, asked to choose a new password for the "
        "digital leadership portal. Open this link to choose one:\n\n{{ link }}\n\n"
        "You sign in with your e-mail address: {{ email }}\n\n"
        "If you did not ask for this, you can ignore this e-mail: your password stays as it is.",
    ),
    Kind.SESSION_CHANGED: _texts(
        "Ændret mødegang: {{ module }} med {{ cohort }}",
        "Kære {{ name }}\n\nHR har ændret tid eller sted for din mødegang {{ module }} "
        "med {{ cohort }} i {{ programme }}.\n\n"
        "Hvornår: {{ when }}\nHvor: {{ location }}\n\nFør ændringen: {{ before }}\n\n"
        "Den vedhæftede kalenderfil opdaterer mødegangen i Outlook.\n"
        "Du kan se dine mødegange på portalen: {{ link }}",
        "Session changed: {{ module }} with {{ cohort }}",
        "Dear {{ name }},\n\nHR has changed the time or place of your session {{ module }} "
        "with {{ cohort }} of {{ programme }}.\n\n"
        "When: {{ when }}\nWhere: {{ location }}\n\nBefore the change: {{ before }}\n\n"
        "The attached calendar file updates the session in Outlook.\n"
        "You can see your sessions on the portal: {{ link }}",
    ),
    Kind.SESSION_CANCELLED: _texts(
        "Aflyst: {{ module }} med {{ cohort }}",
        "Kære {{ name }}\n\nDin mødegang {{ module }} med {{ cohort }} i {{ programme }} "
        "er aflyst.\n\nHvornår: {{ when }}\nHvor: {{ location }}\n\n"
        "Den vedhæftede kalenderfil fjerner mødegangen fra Outlook.\n"
        "Du kan se dine mødegange på portalen: {{ link }}",
        "Cancelled: {{ module }} with {{ cohort }}",
        "Dear {{ name }},\n\nYour session {{ module }} with {{ cohort }} of {{ programme }} "
        "is cancelled.\n\nWhen: {{ when }}\nWhere: {{ location }}\n\n"
        "The attached calendar file removes the session from Outlook.\n"
        "You can see your sessions on the portal: {{ link }}",
    ),
    Kind.COLLABORATION: _texts(
        "Samarbejde om {{ initiative }}",
        "Kære {{ name }}\n\n{{ collaborator }} ({{ collaborator_department }}) vil "
        'samarbejde om initiativet "{{ initiative }}", som {{ owner }} '
        "({{ owner_department }}) har delt i idékataloget, og er nu medejer af det.\n\n"
        "I kan skrive til hinanden:\n{{ owner }}: {{ owner_email }}\n"
        "{{ collaborator }}: {{ collaborator_email }}\n\n"
        "Initiativet i idékataloget: {{ link }}",
        "Working together on {{ initiative }}",
        "Dear {{ name }},\n\n{{ collaborator }} ({{ collaborator_department }}) will work "
        'on the initiative "{{ initiative }}", which {{ owner }} ({{ owner_department }}) '
        "shared in the catalogue of ideas, and is now one of its owners.\n\n"
        "You can write to each other:\n{{ owner }}: {{ owner_email }}\n"
        "{{ collaborator }}: {{ collaborator_email }}\n\n"
        "The initiative in the catalogue of ideas: {{ link }}",
    ),
    Kind.MANAGER_DIGEST: _texts(
        "Ugens nyt om dine ledere: {{ week }}",
        "Kære {{ name }}\n\nI {{ week }} skete der {{ count }} ting med dine ledere i "
        "forløbet om digital ledelse, som du bør kende til:\n\n{{ events }}\n\n"
        "Se hele dit team og hjælp dem videre på portalen: {{ link }}\n\n"
        "Du får denne e-mail højst én gang om ugen og kun, når der er noget at fortælle. "
        "Du kan slå den fra under Min profil.",
        "This week's news about your leaders: {{ week }}",
        "Dear {{ name }},\n\nIn {{ week }}, {{ count }} things happened to your leaders in "
        "the digital leadership programme that you should know about:\n\n"
        "{{ events }}\n\nSee your whole team and help them on the portal: {{ link }}\n\n"
        "You get this e-mail at most once a week, and only when there is something to tell. "
        "You can turn it off under My profile.",
    ),
    Kind.APPROVAL_REQUESTED: _texts(
        "{{ leader }} beder om en plads på {{ cohort }}",
        "Kære {{ name }}\n\n{{ leader }} ({{ department }}) beder om en plads på "
        "{{ cohort }} i {{ programme }}. Pladsen kræver din godkendelse.\n\n"
        "Godkend eller afvis anmodningen på portalen: {{ link }}\n\n"
        "Godkender du, får {{ leader }} en plads, eller en plads på ventelisten, hvis "
        "holdet er fuldt. Afviser du, skriver du en begrundelse, som {{ leader }} får.",
        "{{ leader }} asks for a place in {{ cohort }}",
        "Dear {{ name }},\n\n{{ leader }} ({{ department }}) asks for a place in "
        "{{ cohort }} of {{ programme }}. The place needs your approval.\n\n"
        "Approve or decline the request on the portal: {{ link }}\n\n"
        "If you approve, {{ leader }} gets a seat, or a place on the waitlist if the cohort "
        "is full. If you decline, you write a reason, which {{ leader }} is told.",
    ),
    Kind.APPROVAL_REMINDER: _texts(
        "Påmindelse: {{ leader }} venter på svar om {{ cohort }}",
        "Kære {{ name }}\n\n{{ leader }} ({{ department }}) bad den {{ requested }} om en "
        "plads på {{ cohort }} i {{ programme }} og har ventet på svar i {{ days }} dage.\n\n"
        "Godkend eller afvis anmodningen på portalen: {{ link }}\n\n"
        "HR kan også se anmodningen og kan svare i stedet.",
        "Reminder: {{ leader }} awaits an answer about {{ cohort }}",
        "Dear {{ name }},\n\n{{ leader }} ({{ department }}) asked for a place in "
        "{{ cohort }} of {{ programme }} on {{ requested }} and has waited {{ days }} days "
        "for an answer.\n\nApprove or decline the request on the portal: {{ link }}\n\n"
        "HR can see the request too and may answer instead.",
    ),
    Kind.APPROVAL_DECLINED: _texts(
        "Din anmodning om en plads på {{ cohort }} er afvist",
        "Kære {{ name }}\n\nDin anmodning om en plads på {{ cohort }} i {{ programme }} er "
        "afvist.\n\nBegrundelse: {{ reason }}\n\n"
        "Alle ledere skal gennemføre forløbet. Du kan bede om en plads på et andet hold på "
        "portalen: {{ link }}",
        "Your request for a place in {{ cohort }} is declined",
        "Dear {{ name }},\n\nYour request for a place in {{ cohort }} of {{ programme }} is "
        "declined.\n\nReason: {{ reason }}\n\n"
        "Every leader must complete the programme. You can ask for a place in another "
        "cohort on the portal: {{ link }}",
    ),
    Kind.EVALUATION: _texts(
        "Hvordan var {{ module }}?",
        "Kære {{ name }}\n\nTak fordi du deltog i {{ module }} ({{ when }}) i {{ programme }}.\n\n"
        "Vi vil gerne høre, hvad du fik ud af mødegangen: tre korte spørgsmål om relevansen, "
        "underviseren, og hvad du vil gøre anderledes. Ingen ser dine svar med dit navn: "
        "underviseren og HR ser kun gennemsnit, når mindst fem har svaret.\n\n"
        "Du kan svare til og med {{ closes }}: {{ link }}",
        "How was {{ module }}?",
        "Dear {{ name }},\n\nThank you for taking part in {{ module }} ({{ when }}) of "
        "{{ programme }}.\n\nWe would like to hear what the session gave you: three short "
        "questions about its relevance, the facilitator, and what you will do differently. "
        "Nobody sees your answers with your name: the facilitator and HR see only averages, "
        "once at least five have answered.\n\n"
        "You can answer until {{ closes }}: {{ link }}",
    ),
    Kind.ABSENCE_APPROVED: _texts(
        "Dit afbud til {{ module }} er godkendt",
        "Kære {{ name }}\n\nDit afbud til {{ module }} ({{ when }}, {{ location }}) i "
        "{{ programme }} er godkendt, og du er noteret som fraværende med afbud.\n\n"
        "Modulet skal stadig gennemføres: book en mødegang til indhentning på et andet hold "
        "på portalen: {{ link }}",
        "Your absence from {{ module }} is approved",
        "Dear {{ name }},\n\nYour absence from {{ module }} ({{ when }}, {{ location }}) of "
        "{{ programme }} is approved, and you are recorded as excused.\n\n"
        "The module still has to be completed: book a make-up session in another cohort on "
        "the portal: {{ link }}",
    ),
    Kind.ABSENCE_DECLINED: _texts(
        "Dit afbud til {{ module }} er ikke godkendt",
        "Kære {{ name }}\n\nDit afbud til {{ module }} ({{ when }}, {{ location }}) i "
        "{{ programme }} er ikke godkendt, så du forventes at deltage.\n\n"
        "Tal med din chef, hvis du alligevel ikke kan komme. Du kan se mødegangen på "
        "portalen: {{ link }}",
        "Your absence from {{ module }} is not approved",
        "Dear {{ name }},\n\nYour absence from {{ module }} ({{ when }}, {{ location }}) of "
        "{{ programme }} is not approved, so you are expected to attend.\n\n"
        "Talk to your manager if you still cannot come. You can see the session on the "
        "portal: {{ link }}",
    ),
}
