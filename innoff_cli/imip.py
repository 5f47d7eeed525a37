"""Planned invites -> e-mail messages (iMIP, RFC 6047), laid out as CalConnect's
iMIP best practices recommend. Pure: the moment, the Message-ID and the sender
are parameters.

    multipart/mixed
      multipart/alternative
        text/plain                           what a person reads
        text/html                            the same, with links
        text/calendar; method=REQUEST        base64; method equals METHOD
      application/ics; name=invite.ics      the same calendar, as an attachment

Some clients act only on the text/calendar part, others only on an attached
.ics file; with both, every one of them shows Accept / Decline.
"""

from __future__ import annotations

import html
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from zoneinfo import ZoneInfo

from innoff_cli import ical, itip
from innoff_cli.programme import norwegian_date

SUBJECT_WORDS = {
    itip.NEW: "Invitasjon",
    itip.UPDATE: "Endret",
    itip.UNINVITED: "Avlyst",
    itip.EVENT_CANCELLED: "Avlyst",
}
LEADS = {
    itip.NEW: "Du er invitert til {title}.",
    itip.UPDATE: "Invitasjonen til {title} er endret. Kalenderen din oppdateres når du åpner"
    " denne e-posten; her er det som gjelder nå.",
    itip.UNINVITED: "Du er ikke lenger påmeldt {title}, så invitasjonen er trukket tilbake og"
    " fjernes fra kalenderen din. Arrangementet går som planlagt.",
    itip.EVENT_CANCELLED: "{title} er avlyst og fjernes fra kalenderen din.",
}
HOW_TO_ANSWER = (
    "Svar med Godta, Kanskje eller Avslå i kalenderen din, så vet arrangøren hvem som"
    " kommer. Invitasjonen ligger også ved som invite.ics."
)


def when(entry: ical.Entry) -> str:
    """'tirsdag 17. november 2020 10:00-12:00' in the event's own zone."""
    tz = ZoneInfo(entry.timezone)
    start, end = entry.start.astimezone(tz), entry.end.astimezone(tz)
    return f"{norwegian_date(start.date())} {start:%H:%M}-{end:%H:%M}"


def subject(change: str, entry: ical.Entry) -> str:
    return f"{SUBJECT_WORDS[change]}: {ical.clean_text(entry.summary)} {when(entry)}"


def message_domain(address: str) -> str:
    return address.rpartition("@")[2] or "innoff.invalid"


class Template:
    """Everything one version of one event's message shares; `render` adds the person."""

    def __init__(self, message: itip.Message, entry: ical.Entry, organizer: ical.Organizer,
                 stamp: datetime, alarm: timedelta | None = None):  # fmt: skip
        self.method = message.method
        self.calendar = ical.InviteTemplate(
            entry, message.sequence, organizer, message.method, stamp,
            alarm if message.method == itip.REQUEST else None, message.whole_event,
        )  # fmt: skip
        self.subject = subject(message.change, entry)
        self.date = format_datetime(stamp)
        self.text, self.html = _bodies(message, entry)

    def render(self, message: itip.Message, sender: str, message_id: str) -> EmailMessage:
        """The whole e-mail to one person; raises ValueError for an address a
        message header cannot hold."""
        name = " ".join(ical.clean_text(message.name).split())
        calendar = self.calendar.render(message.address, name)
        mail = EmailMessage(policy=SMTP)
        mail["From"] = sender
        mail["To"] = _address(name, message.address)
        mail["Subject"] = self.subject
        mail["Date"] = self.date
        mail["Message-ID"] = message_id
        greeting = f"Hei {name}," if name else "Hei,"
        mail.set_content(f"{greeting}\n\n{self.text}", charset="utf-8", cte="quoted-printable")
        mail.add_alternative(
            f"<p>{html.escape(greeting)}</p>\n{self.html}", subtype="html", charset="utf-8",
            cte="quoted-printable",
        )  # fmt: skip
        mail.add_alternative(
            calendar, subtype="calendar", charset="utf-8", cte="base64",
            params={"method": self.method},
        )  # fmt: skip
        mail.add_attachment(
            calendar.encode("utf-8"), maintype="application", subtype="ics",
            filename="invite.ics", params={"method": self.method},
        )  # fmt: skip
        return mail


def _address(name: str, address: str) -> Address:
    local, _, domain = address.rpartition("@")
    return Address(display_name=name, username=local, domain=domain)


def _bodies(message: itip.Message, entry: ical.Entry) -> tuple[str, str]:
    """The plain text and the HTML of a message, but for the greeting."""
    title = ical.clean_text(entry.summary)
    tz = ZoneInfo(entry.timezone)
    start, end = entry.start.astimezone(tz), entry.end.astimezone(tz)
    facts = [("Når", f"{norwegian_date(start.date())}, kl. {start:%H:%M}-{end:%H:%M} ({tz.key})")]
    where = ical.clean_text(entry.location)
    if where and where != entry.join_url:
        facts.append(("Hvor", where))
    elif entry.join_url:
        facts.append(("Hvor", "digitalt"))
    if entry.join_url and message.method == itip.REQUEST:
        facts.append(("Bli med digitalt", entry.join_url))
    details = ical.clean_text(entry.description)
    if entry.join_url and details.startswith(entry.join_url):
        details = details[len(entry.join_url) :].lstrip("\n")  # said above already
    text = [LEADS[message.change].format(title=title), ""]
    text += [f"{label}: {value}" for label, value in facts]
    page = [f"<p>{html.escape(LEADS[message.change].format(title=title))}</p>", "<p>"]
    page += [f"<b>{html.escape(label)}:</b> {_linked(value)}<br>" for label, value in facts]
    page.append("</p>")
    if message.method == itip.REQUEST:
        if details:
            text += ["", details]
            page += [f"<p>{_linked(paragraph).replace(chr(10), '<br>')}</p>"
                     for paragraph in details.split("\n\n")]  # fmt: skip
        text += ["", HOW_TO_ANSWER]
        page.append(f"<p>{html.escape(HOW_TO_ANSWER)}</p>")
    return "\n".join(text) + "\n", "\n".join(page) + "\n"


def _linked(text: str) -> str:
    """Escaped text in which each http(s) link is a link."""
    import re

    out, last = [], 0
    for match in re.finditer(r"https?://[^\s<>\"]+", text):
        out.append(html.escape(text[last : match.start()]))
        link = html.escape(match[0])
        out.append(f'<a href="{link}">{link}</a>')
        last = match.end()
    out.append(html.escape(text[last:]))
    return "".join(out)
