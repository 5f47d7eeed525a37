"""`innoff reminders send`: before an event, plain mail with the join link to
everyone registered who has not declined, once per person, event and offset.

Meant to run every few minutes (cron, a systemd timer, the Task Scheduler): a
reminder `--before 1d` goes out only inside a window around 24 hours before
the start (from 26 to 22 hours: a twelfth of the offset either side, at least
10 minutes), so ten runs send it once and a run after the window sends nothing
and says why. The window follows the event: moving it moves the window.

Not iTIP: a REQUEST with the invite's UID would be an update. The mail carries
the event as an attachment (METHOD:PUBLISH, the invite's UID and SEQUENCE), for
anyone who has lost the invite. Queued before sending, sent or failed as the
server answers, each in a transaction of its own (store.mailings), as invites are.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.errors import MessageError
from email.utils import make_msgid
from pathlib import Path
from zoneinfo import ZoneInfo

from innoff_cli import clock, ical, imip, invite_plans, invites, store
from innoff_cli.addresses import ascii_address
from innoff_cli.errors import InnoffError, Interrupted, OptionError
from innoff_cli.models import Event
from innoff_cli.plain_mail import PlainTemplate
from innoff_cli.programme import norwegian_date
from innoff_cli.store.mailings import Mailing
from innoff_cli.terminal import shown

KIND = "reminder"
_OFFSET = re.compile(r"(?:(\d{1,3})d)?(?:(\d{1,4})h)?(?:(\d{1,5})m)?")
SMALLEST_HALF_WINDOW = timedelta(minutes=10)
# Answers that say the person is not coming: no reminder for them.
NOT_COMING = ("declined", "delegated")


def parse_offset(text: str) -> timedelta:
    """'1d', '2h', '30m', '1d12h' -> how long before the start."""
    match = _OFFSET.fullmatch(text.strip().lower())
    if not match or not any(match.groups()):
        raise OptionError(
            "--before", f"'{shown(text, 20)}' is not a time before the start - give 1d, 2h or 30m"
        )
    days, hours, minutes = (int(part or 0) for part in match.groups())
    offset = timedelta(days=days, hours=hours, minutes=minutes)
    if offset < timedelta(minutes=5) or offset > timedelta(days=60):
        raise OptionError("--before", "give a time from 5m to 60d before the start")
    return offset


def occasion(offset: timedelta) -> str:
    """The offset as shown and stored (one name whether it was given as 1d or 24h)."""
    minutes = int(offset.total_seconds() // 60)
    if minutes % 1440 == 0:
        return f"{minutes // 1440}d"
    if minutes % 60 == 0:
        return f"{minutes // 60}h"
    return f"{minutes}m"


def occasion_key(offset: timedelta, start: datetime) -> str:
    """What a reminder is for: the offset and the start it counts from ('1d@2020-11-17T09:00Z').
    A moved event is a new occasion: its people are reminded of the new time."""
    return f"{occasion(offset)}@{start.astimezone(UTC):%Y-%m-%dT%H:%MZ}"


def window(start: datetime, offset: timedelta) -> tuple[datetime, datetime]:
    """When a reminder `offset` before `start` may go out: (opens, closes)."""
    half = max(offset / 12, SMALLEST_HALF_WINDOW)
    return start - offset - half, start - offset + half


@dataclass
class EventReminders:
    """One event's reminders in this run."""

    event: Event
    opens: datetime
    closes: datetime
    state: str  # open, early, late, cancelled, no link
    key: str = ""  # the occasion stored with each mail (occasion_key)
    people: list[Mailing] = field(default_factory=list)
    not_coming: int = 0  # registered, but declined
    already: int = 0  # sent (or refused for good) by an earlier run
    queued_before: int = 0  # left queued by a run that stopped; they go out again


@dataclass
class ReminderPlan:
    offset: timedelta
    now: datetime
    events: list[EventReminders]
    organizer: ical.Organizer | None = None
    sequences: dict[str, int] = field(default_factory=dict)  # invite UID -> SEQUENCE

    @property
    def occasion(self) -> str:
        return occasion(self.offset)

    @property
    def mailings(self) -> list[Mailing]:
        return [person for event in self.events for person in event.people]


def plan(
    db_path: Path, before: str, *, event: str | None = None, to: list[str] | None = None,
    organizer: str | None = None, now: datetime | None = None,
) -> ReminderPlan:  # fmt: skip
    """Who gets a reminder now; reads only."""
    offset = parse_offset(before)
    now = (now or clock.now()).astimezone(UTC)
    wanted = {address.strip().casefold() for address in to or ()}
    conn = store.connect(db_path)
    try:
        events = invite_plans.events_in_scope(conn, event)
        result = ReminderPlan(offset, now, [])
        for each in events:
            opens, closes = window(each.start, offset)
            state = (
                "cancelled" if each.cancelled
                else "early" if now < opens
                else "late" if now > closes
                else "open"
            )  # fmt: skip
            reminders = EventReminders(each, opens, closes, state, occasion_key(offset, each.start))
            result.events.append(reminders)
            if state != "open":
                continue
            if not each.join_url:
                # The link is the point of the mail. Named, the event is refused;
                # among all events (a room-only meeting), it is passed over, said.
                if event:
                    raise InnoffError(
                        f"{each.slug} has no join link, and a reminder is for the link - set it"
                        f" with `innoff agenda event {each.slug} --join-url URL`"
                    )
                reminders.state = "no link"
                continue
            _choose_people(conn, reminders, wanted)
        if result.mailings:
            result.organizer = invite_plans.organizer_of(events, organizer)
            result.sequences = {
                row["uid"]: row["sequence"] for row in store.outbox.invite_versions(conn)
            }
        return result
    finally:
        conn.close()


def _choose_people(conn, reminders: EventReminders, wanted: set[str]) -> None:
    slug = reminders.event.slug
    answers = store.replies.answers_of(conn, [slug])
    not_coming = {
        email for (email, _uid), row in answers.items()
        if str(row.get("now", "")).rpartition(":")[2] in NOT_COMING
    }  # fmt: skip
    done = store.mailings.settled(conn, KIND, reminders.key, slug)
    queued = store.mailings.waiting(conn, KIND, reminders.key, slug)
    for email, address, name, event in store.registrations.invitees(conn, [slug]):
        if wanted and email not in wanted:
            continue
        if email in not_coming:
            reminders.not_coming += 1
        elif email in done:
            reminders.already += 1
        else:
            reminders.people.append(Mailing(email, address, name, event))
            reminders.queued_before += email in queued


# --- the mail -------------------------------------------------------------------


def subject(event: Event, now: datetime) -> str:
    """'Påminnelse: INNOFF-studio i morgen kl. 10:00', the day as seen from `now`."""
    tz = ZoneInfo(event.timezone)
    start = event.start.astimezone(tz)
    days = (start.date() - now.astimezone(tz).date()).days
    day = {0: "i dag", 1: "i morgen"}.get(days) or norwegian_date(start.date())
    return f"Påminnelse: {ical.clean_text(event.title)} {day} kl. {start:%H:%M}"


def bodies(event: Event, file_name: str) -> tuple[str, str]:
    """The plain text and the HTML of a reminder, but for the greeting: the join
    link first, then when, where and the programme, in the event's own time."""
    tz = ZoneInfo(event.timezone)
    start, end = event.start.astimezone(tz), event.end.astimezone(tz)
    title = ical.clean_text(event.title)
    link = event.join_url
    text = [f"Velkommen til {title}! Her er lenken for å bli med:", "", link, ""]
    page = [
        f"<p>Velkommen til {html.escape(title)}! Her er lenken for å bli med:</p>",
        f'<p style="font-size:120%"><a href="{html.escape(link)}"><b>Bli med digitalt</b></a>'
        f"<br>{html.escape(link)}</p>",
    ]
    facts = [("Når", f"{norwegian_date(start.date())}, kl. {start:%H:%M}-{end:%H:%M} ({tz.key})")]
    where = ical.clean_text(ical.place(event))
    if where and where != link:
        facts.append(("Hvor", where))
    text += [f"{label}: {value}" for label, value in facts]
    page.append("<p>" + "".join(
        f"<b>{html.escape(label)}:</b> {html.escape(value)}<br>" for label, value in facts
    ) + "</p>")  # fmt: skip
    if event.items:
        lines = []
        for item in event.items:
            who = "; ".join(speaker.describe() for speaker in item.speakers)
            times = f"{item.start.astimezone(tz):%H:%M}-{item.end.astimezone(tz):%H:%M}"
            lines.append(f"{times} {ical.clean_text(item.title)}" + (f" ({who})" if who else ""))
        text += ["", "Program:", *lines]
        page.append("<p><b>Program:</b><br>" + "<br>".join(map(html.escape, lines)) + "</p>")
    after = (
        f"Arrangementet ligger ved som {file_name}, om du ikke finner invitasjonen i kalenderen."
    )
    text += ["", after]
    page.append(f"<p>{html.escape(after)}</p>")
    return "\n".join(text) + "\n", "\n".join(page) + "\n"


def template(event: Event, sequence: int, now: datetime) -> PlainTemplate:
    entry = ical.event_entry(event, invite_plans.UID_DOMAIN)
    lines, _ = ical.vevent_lines(entry, sequence, "CONFIRMED")
    file_name = f"{event.slug}.ics"
    text, page = bodies(event, file_name)
    calendar = ical.calendar("PUBLISH", [lines], now.replace(microsecond=0))
    return PlainTemplate(subject(event, now), text, page, now, (file_name, calendar))


# --- sending --------------------------------------------------------------------


def deliver(
    db_path: Path,
    reminders: ReminderPlan,
    transport,
    *,
    sender: str | None = None,
    rate: int = 30,
    progress: Callable[[], None] | None = None,
    record: bool = True,
    on_wait: store.OnWait = None,
) -> invites.SendReport:
    """Queue the reminders, then send each and record it as the server answers."""
    report = invites.SendReport(transport.via)
    if not reminders.mailings:
        return report
    from_header, envelope = invites.sender_from(reminders.organizer, sender)
    domain = imip.message_domain(envelope)
    templates = {}
    for each in reminders.events:
        if each.people:
            uid = ical.uid_for(invite_plans.UID_DOMAIN, each.event.slug)
            made = templates[each.event.slug] = template(
                each.event, reminders.sequences.get(uid, 0), reminders.now
            )
            try:
                made.prepare(from_header)
            except (ValueError, TypeError, MessageError) as error:
                raise InnoffError(
                    f"cannot build the reminder for {each.event.slug} ({shown(str(error), 120)});"
                    " nothing was sent or queued - give the event a one-line title"
                ) from None
    transport.open()  # before anything is queued: a refused login leaves no trace
    conn = None
    pace = invites.Pace(rate)
    try:
        conn = store.connect(db_path, on_wait) if record else None
        queued_utc = _iso(reminders.now)
        if conn is None:
            slots = [(0, make_msgid(domain=domain)) for _ in reminders.mailings]
        else:
            slots = []
            with store.writing(conn, on_wait=on_wait):
                for each in reminders.events:
                    slots += store.mailings.queue(
                        conn, KIND, each.key, each.people, lambda: make_msgid(domain=domain),
                        queued_utc,
                    )  # fmt: skip
        _send_each(
            conn, reminders.mailings, slots, templates, transport, report, from_header,
            envelope, pace, progress, on_wait,
        )  # fmt: skip
    except KeyboardInterrupt:
        left = len(reminders.mailings) - report.total
        raise Interrupted(
            f"Interrupted: {report.sent} sent and recorded, {left} still queued (the one being"
            " sent may have gone out; if so it goes again as the same message)"
            " - run `innoff reminders send` again inside the window to send the rest."
        ) from None
    finally:
        if conn is not None:
            conn.close()
        transport.close()
    return report


def _send_each(conn, mailings, slots, templates, transport, report, from_header, envelope,
               pace, progress, on_wait) -> None:  # fmt: skip
    from innoff_cli.delivery import Refused, SenderRefused, Stopped

    for mail, (row_id, message_id) in zip(mailings, slots):
        try:
            data = templates[mail.event].render(mail.address, mail.name, from_header, message_id)
        except (ValueError, TypeError, MessageError) as error:
            reason = f"cannot write this address into a message ({error})"
        else:
            pace.wait()
            try:
                transport.send(data, envelope, ascii_address(mail.address) or mail.address)
                reason = None
            except Refused as refused:
                reason = str(refused)
            except SenderRefused as refused:
                left = len(mailings) - report.total
                raise InnoffError(
                    f"the mail server refused the sender, not the recipients ({refused})"
                    f" after {report.sent} sent - nothing was marked failed and {left} are"
                    f" still queued; {refused.hint}, then run `innoff reminders send` again"
                ) from None
            except Stopped as stopped:
                left = len(mailings) - report.total
                raise InnoffError(
                    f"the mail server stopped taking messages ({stopped}) after"
                    f" {report.sent} sent - {left} still queued; run `innoff reminders send`"
                    " again inside the window to send them"
                ) from None
        if conn is not None:
            state = "sent" if reason is None else "failed"
            store.mailings.mark(
                conn, row_id, state, transport.via, reason or "", _iso(clock.now()), on_wait
            )
        if reason is None:
            report.sent += 1
        else:
            report.failed.append((mail.address, reason))
        if progress:
            progress()


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")
