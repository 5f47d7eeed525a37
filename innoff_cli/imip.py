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

import base64
import html
import re
from base64 import encodebytes
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP, SMTPUTF8
from email.quoprimime import body_encode
from email.utils import format_datetime
from zoneinfo import ZoneInfo

from innoff_cli import ical, itip
from innoff_cli.addresses import ascii_address
from innoff_cli.programme import norwegian_date

SUBJECT_WORDS = {
    itip.NEW: "Invitasjon",
    itip.UPDATE: "Endret",
    itip.UNINVITED: "Avlyst",
    itip.EVENT_CANCELLED: "Avlyst",
    itip.RESEND: "Invitasjon",
}
LEADS = {
    itip.NEW: "Du er invitert til {title}.",
    itip.UPDATE: "Invitasjonen til {title} er endret. Kalenderen din oppdateres når du åpner"
    " denne e-posten; her er det som gjelder nå.",
    itip.UNINVITED: "Du er ikke lenger påmeldt {title}, så invitasjonen er trukket tilbake og"
    " fjernes fra kalenderen din. Arrangementet går som planlagt.",
    itip.EVENT_CANCELLED: "{title} er avlyst og fjernes fra kalenderen din.",
    itip.RESEND: "Her er invitasjonen din til {title} igjen, slik den gjelder nå.",
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


# Stand-ins in a template's bytes for what differs from one person to the next:
# plain letters, which no encoding changes or splits.
_TO = "to@innoff-template.invalid"
_ID = "<id@innoff-template.invalid>"
_GREETING = "innoffgreetingtoken"
_HTML_GREETING = "innoffhtmlgreetingtoken"
_CALENDAR = b"innoffcalendartoken"
_CALENDAR_BASE64 = base64.b64encode(_CALENDAR)
# Names are cut to this in messages: a header line must stay under 998 octets
# even as RFC 2047 words (and a display name longer than this is no name).
NAME_ROOM = 200


class Template:
    """Everything one version of one event's message shares; `render` adds the person.

    The message is built once by the `email` package with stand-ins for the
    person, and each person's message is those bytes with their address,
    Message-ID, greeting and calendar put in, encoded the way `email` encodes
    them (tests parse every message with `email` and check it against
    `message()`, which builds it whole).
    """

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
        self.sender = ""
        self.skeleton = b""

    def prepare(self, sender: str) -> None:
        """Build what every person's message shares, for `sender`; ValueError (or
        another `email` error) when the event's text cannot be a message. Kept
        only when whole: a failed build never leaves an empty skeleton behind."""
        if sender != self.sender or not self.skeleton:
            skeleton = self._assemble(sender, _TO, _ID, _GREETING, _CALENDAR).as_bytes()
            self.sender, self.skeleton = sender, skeleton

    def message(self, message: itip.Message, sender: str, message_id: str) -> EmailMessage:
        """The whole e-mail to one person, built by `email` from the start."""
        name = _name(message)
        # A domain outside ASCII as A-labels when that makes the address ASCII:
        # a server without SMTPUTF8 then takes the message as it is.
        to = ascii_address(message.address) or message.address
        return self._assemble(
            sender, _address(name, to), message_id, _greeting(name),
            self.calendar.render(message.address, name).encode("utf-8"),
        )  # fmt: skip

    def render(self, message: itip.Message, sender: str, message_id: str) -> bytes:
        """The e-mail to one person as bytes to send (CRLF line ends); raises
        ValueError for an address a message header cannot hold."""
        name = _name(message)
        to = ascii_address(message.address)
        header = to_header(name, to or message.address, utf8=to is None)
        if to is None:  # a local part outside ASCII: SMTPUTF8, headers in UTF-8, built whole
            _address(name, message.address)  # refuses what a header cannot hold
            whole = self._assemble(
                sender, _TO, message_id, _greeting(name),
                self.calendar.render(message.address, name).encode("utf-8"),
            ).as_bytes(policy=SMTPUTF8)  # fmt: skip
            return whole.replace(_TO.encode(), header.encode("utf-8"), 1)
        self.prepare(sender)
        _address(name, to)  # refuses what a header cannot hold
        greeting = _greeting(name)
        calendar = self.calendar.render(message.address, name).encode("utf-8")
        encoded = encodebytes(calendar).replace(b"\n", b"\r\n").rstrip(b"\r\n")
        return personal(self.skeleton, header, message_id, greeting).replace(
            _CALENDAR_BASE64, encoded
        )

    def _assemble(self, sender: str, to, message_id: str, greeting: str,
                  calendar: bytes) -> EmailMessage:  # fmt: skip
        mail = greeted(
            sender, to, self.subject, self.date, message_id, greeting, self.text, self.html
        )
        mail.add_alternative(
            calendar, maintype="text", subtype="calendar", cte="base64",
            params={"charset": "utf-8", "method": self.method},
        )  # fmt: skip
        mail.add_attachment(
            calendar, maintype="application", subtype="ics", filename="invite.ics",
            params={"name": "invite.ics"},
        )  # fmt: skip
        return mail


def greeted(sender: str, to, subject: str, date: str, message_id: str, greeting: str,
            text: str, page: str) -> EmailMessage:  # fmt: skip
    """What every message innoff sends begins with (invites, reminders,
    follow-ups): its headers, then the greeting and the text, as plain text and
    as HTML. With the stand-ins (_TO, _ID, _GREETING) it is a skeleton that
    `personal` fills in for each person."""
    mail = EmailMessage(policy=SMTP)
    mail["From"] = sender
    mail["To"] = to
    mail["Subject"] = subject
    mail["Date"] = date
    mail["Message-ID"] = message_id
    html_greeting = _HTML_GREETING if greeting == _GREETING else html.escape(greeting)
    # No greeting: a text that greets people itself (a follow-up naming them).
    mail.set_content(
        f"{greeting}\n\n{text}" if greeting else text, charset="utf-8", cte="quoted-printable"
    )
    mail.add_alternative(
        f"<p>{html_greeting}</p>\n{page}" if greeting else page, subtype="html",
        charset="utf-8", cte="quoted-printable",
    )  # fmt: skip
    return mail


def personal(skeleton: bytes, header: str, message_id: str, greeting: str) -> bytes:
    """A skeleton's bytes with one person's To header, Message-ID and greeting put
    in, encoded as `email` encodes them."""
    return (
        skeleton.replace(_TO.encode(), header.encode("ascii"), 1)
        .replace(_ID.encode(), message_id.encode("ascii"), 1)
        .replace(_GREETING.encode(), _qp(greeting), 1)
        .replace(_HTML_GREETING.encode(), _qp(html.escape(greeting)), 1)
    )


def _name(message: itip.Message) -> str:
    return " ".join(ical.clean_text(message.name).split())[:NAME_ROOM].strip()


def _greeting(name: str) -> str:
    return f"Hei {name}," if name else "Hei,"


def _qp(text: str) -> bytes:
    """One line as quoted-printable, soft-wrapped as `email` wraps it."""
    # quoprimime encodes characters as octets: give it the UTF-8 octets, as email does.
    octets = text.encode("utf-8").decode("latin-1")
    return body_encode(octets, maxlinelen=76, eol="\r\n").encode("ascii")


# RFC 5322's specials: a display name holding one is written as a quoted string.
_SPECIALS = re.compile(r'[][()<>@,;:\\".]')
# RFC 2047: an encoded word is at most 75 characters; "=?utf-8?b?" and "?=" take
# 12, and base64 4 for every 3 octets: 45 octets of the name a word (60 + 12).
_WORD_OCTETS = 45


def to_header(name: str, address: str, utf8: bool = False) -> str:
    """The To header's value for `name` and `address`, as RFC 5322 and 2047 want it.

    A name that looks like an encoded word is quoted, so readers show it as typed
    (words are not decoded inside quotes; the `email` package writes such a name
    bare). A name outside ASCII is encoded words of at most 75 characters, split
    between characters, one per folded line (the `email` package can make a
    76-character word). With `utf8` (SMTPUTF8 mail) a name is written as it is.
    """
    if not name:
        return address
    if name.isascii() or utf8:
        if _SPECIALS.search(name) or "=?" in name:
            quoted = name.replace("\\", "\\\\").replace('"', '\\"')
            return f'"{quoted}" <{address}>'
        return f"{name} <{address}>"
    words, octets = [], b""
    for character in name:
        encoded = character.encode("utf-8")
        if len(octets) + len(encoded) > _WORD_OCTETS:
            words.append(octets)
            octets = b""
        octets += encoded
    words.append(octets)
    encoded_words = [f"=?utf-8?b?{base64.b64encode(w).decode('ascii')}?=" for w in words]
    return "\r\n ".join(encoded_words) + f" <{address}>"


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
