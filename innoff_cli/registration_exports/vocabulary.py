"""The words innoff knows in registration exports: headers, answers, statuses.

Plain data and two small rules, in one file an organiser can read and extend:
add a header as a system writes it, folded the way `normalise_name` folds it
(lower case, æøå as ae/o/a, no spaces or punctuation: "E-post" -> "epost",
"Påmeldt dato" -> "pameldtdato"), and the next import knows it.
"""

from __future__ import annotations

import re

# Values that forms write where a person would have written nothing ('anonymous'):
# kept with the address check, which needs them without loading this package.
from innoff_cli.addresses import PLACEHOLDERS  # noqa: F401

# Header names, folded by normalise_name ("E-post" -> "epost", "Påmeldt" -> "pameldt").
# A header that is exactly one of these is a strong match; one that contains a
# name of four letters or more ("Din e-postadresse") is a weaker one.
HEADER_NAMES: dict[str, tuple[str, ...]] = {
    "email": (
        "epost", "epostadresse", "email", "emailadresse", "emailaddress", "mail",
        "mailadresse", "epostjobb", "eposttil", "attendeeemail",
    ),
    "name": (
        "navn", "fulltnavn", "name", "fullname", "fullnavn", "deltaker", "deltakernavn",
        "attendeename", "ditnavn", "hvaheterdu", "whatsyourname", "whatisyourname", "yourname",
        "navnpabillett", "ticketholder", "ticketholdername", "billettinnehaver",
    ),
    "first_name": ("fornavn", "firstname", "givenname", "forename"),
    "last_name": ("etternavn", "lastname", "surname", "familyname"),
    "organisation": (
        "organisasjon", "virksomhet", "arbeidsgiver", "company", "organization",
        "organisation", "arbeidssted", "firma", "institusjon", "employer", "bedrift",
        "hvorjobberdu", "wheredoyouwork", "workplace", "arbeidsplass", "navnpavirksomhet",
        "companyname", "organisationname", "organizationname",
    ),
    "role": ("stilling", "tittel", "stillingstittel", "jobtitle", "role", "rolle", "title", "position"),
    "municipality": ("kommune", "municipality", "hjemkommune", "bostedskommune"),
    "phone": (
        "telefon", "mobil", "phone", "telefonnummer", "mobilnummer", "mobiltelefon",
        "phonenumber", "cellphone", "mobilephone", "tlf",
    ),
    "registered_at": (
        "pameldt", "pameldingsdato", "registrert", "tidsmerke", "timestamp", "orderdate",
        "completiontime", "registrationdate", "registreringsdato", "pameldingstidspunkt",
        "registrerttidspunkt", "created", "createdat", "dato", "date",
        # Microsoft Forms' completion time in Norwegian; other form services' "submitted".
        "fullforingstidspunkt", "submitdate", "submissiondate", "submittedat", "innsendt",
        # Zoom, ticket systems: when the registration or the purchase was made.
        "registrationtime", "purchasedat", "purchased", "purchasedate", "kjopt", "kjoptdato",
        "kjopsdato", "ordredato", "bestillingsdato", "bestilt", "ordertime", "submittime",
        "completedat", "completed",
    ),
}  # fmt: skip
FIELDS = tuple(HEADER_NAMES)
# Words in a header about whoever placed the order rather than the participant
# ("Bestiller navn", "Kjøper", "Buyer email", "Ordered by").
BUYER_WORDS = ("bestiller", "kjoper", "buyer", "purchaser", "orderer", "ordercontact",
               "orderedby", "bestiltav", "ordername", "orderemail", "orderphone")  # fmt: skip
# Fields that say who someone is: the participant's own columns for these always
# win, and a buyer's column fills one only where the participant's columns lack it.
PERSONAL = ("email", "name", "first_name", "last_name", "organisation", "role", "municipality",
            "phone")  # fmt: skip
# Dates a header may name that are not when the person registered.
NOT_REGISTERED_AT = ("fodsel", "fodt", "birth", "endret", "endring", "modified", "oppdatert",
                     "updated")  # fmt: skip
# Of several times, the one that says the registration was sent wins: words in
# a header, best first; a start time comes last (a form started is not sent).
TIME_WORDS = (
    ("submit", "innsendt", "fullfor", "complet", "sent"),
    ("registr", "pamld", "pameld", "purchas", "kjop", "ordre", "order", "bestill", "tidsmerke",
     "timestamp"),
)  # fmt: skip
# Microsoft Forms writes its own times month-first (11/2/20 9:01:12) under these headers.
US_DATE_HEADERS = {"completiontime", "starttime", "lastmodifiedtime", "fullforingstidspunkt",
                   "starttidspunkt", "tidspunktforsisteendring"}  # fmt: skip
# A header naming kinds of workplace besides a municipality asks for the organisation.
WORKPLACE_WORDS = ("organisasjon", "virksomhet", "arbeidssted", "arbeidsgiver", "universitet",
                   "institutt", "bedrift", "firma", "organization", "organisation", "company",
                   "employer", "institusjon", "hogskole", "skole", "etat")  # fmt: skip
# What --map accepts besides the fields: a column of event names, or one to leave as extra.
MAP_TARGETS = (*FIELDS, "events", "extra")

YES = {"ja", "j", "yes", "y", "x", "1", "true", "sant", "deltar", "kommer", "✓", "✔", "☑"}
NO = {"", "nei", "n", "no", "0", "false", "usant", "deltarikke", "kommerikke", "-"}


# A column saying whether a registration stands (Eventbrite's "Attendee
# Status", Zoom's "Approval Status", a Norwegian service's "Status"), and the
# values that say the person is not coming or not admitted.
STATUS_HEADERS = ("status", "responsetype", "pameldingsstatus", "deltakerstatus", "attendeestatus",
                  "registrationstatus", "orderstatus", "billettstatus", "ticketstatus",
                  "approvalstatus", "godkjenningsstatus", "approval", "godkjenning",
                  "responsestatus", "svarstatus", "completionstatus")  # fmt: skip
NOT_COMING = {
    "avmeldt", "avbestilt", "kansellert", "annullert", "trukket", "trukketseg", "avlyst",
    "cancelled", "canceled", "refunded", "notattending", "deleted", "declined", "withdrawn",
    "denied", "rejected", "pending", "pendingapproval", "awaitingapproval", "notapproved",
    "waitlist", "waitlisted", "waitinglist", "onwaitinglist", "onthewaitinglist", "onwaitlist",
    "venteliste", "paventeliste", "ventende", "venter", "avslatt", "avvist", "ikkegodkjent",
    "ikkegodkjend", "refundert", "tilbakebetalt", "slettet", "utmeldt",
}  # fmt: skip


# Status values that say a row is no one's answer at all: the organiser's own
# test run of a survey (Qualtrics' "Survey Preview", "Survey Test") or spam.
NOT_ANSWERS = {"surveypreview", "surveytest", "spam", "preview", "testresponse", "testsvar"}
# Status values of an answer left half-way, where a survey tool exports those
# with the rest (SurveyMonkey's "Partial" responses, Forms' "Incomplete").
UNFINISHED = {"partial", "partialresponse", "partiallycompleted", "incomplete", "inprogress",
              "started", "ufullstendig", "delvis", "delvisbesvart", "ikkefullfort",
              "pabegynt", "ikkeferdig"}  # fmt: skip
# A column that says whether the answer was finished (Qualtrics' "Finished":
# False for one left half-way, which the export includes).
FINISHED_HEADERS = ("finished", "fullfort", "ferdig", "completed", "complete")

# Words that begin a totals row under a hand-made list.
TOTALS = ("sum", "totalt", "total", "antall", "ialt", "summer", "totals")


# An answer that names every event ("Begge", "Both").
EVERY_EVENT = {"begge", "beggedeler", "both", "alle", "all", "allearrangementene", "bothevents"}


def answer(text: str) -> str:
    """A yes/no cell folded for YES and NO: 'Deltar ikke' -> 'deltarikke', '✓' stays."""
    return "".join(text.split()).casefold()


_FIRST_WORD = re.compile(r"\s*(\w+)\W")


def yes_or_no(text: str) -> bool | None:
    """True for yes, False for no (a blank is no), None when the answer says neither.

    A whole answer is looked up first ('Deltar ikke' is no); failing that, a
    leading ja/nei/yes/no decides, as a person reading 'Ja, digitalt' or
    'Nei takk' would.
    """
    folded = answer(text)
    if folded in YES:
        return True
    if folded in NO:
        return False
    first = _FIRST_WORD.match(text.casefold())
    if first and first[1] in ("ja", "yes"):
        return True
    if first and first[1] in ("nei", "no"):
        return False
    return None


# Block titles in stacked reports (Zoom's "Host Details", "Panelist Details")
# above rows of people who are not registrants.
SIDELINED = ("host", "panelist", "panellist", "presenter", "vert", "paneldeltaker", "speaker",
             "foredragsholder", "arrangor", "organizer")  # fmt: skip
