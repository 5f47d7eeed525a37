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
from pathlib import Path
from zoneinfo import ZoneInfo

from innoff_cli import clock, ical, invite_plans, invites, plain_mail, store
from innoff_cli.errors import InnoffError, OptionError
from innoff_cli.i18n import _
from innoff_cli.models import Event
from innoff_cli.plain_mail import PlainTemplate
from innoff_cli.programme import norwegian_date
from innoff_cli.store.mailings import Mailing
from innoff_cli.terminal import shown

KIND = "reminder"
_OFFSET = re.compile(r"(?:(\d{1,3})d)?(?:(\d{1,4})h)?(?:(\d{1,5})m)?")
SMALLEST_HALF_WINDOW = timedelta(minutes=10)


def parse_offset(text: str) -> timedelta:
    """'1d', '2h', '30m', '1d12h' -> how long before the start."""
    match = _OFFSET.fullmatch(text.strip().lower())
    if not match or not any(match.groups()):
        raise OptionError(
            "--before",
            _("'{text}' is not a time before the start - give 1d, 2h or 30m").format(
                text=shown(text, 20)
            ),
        )
    days, hours, minutes = (int(part or 0) for part in match.groups())
    offset = timedelta(days=days, hours=hours, minutes=minutes)
    if offset < timedelta(minutes=5) or offset > timedelta(days=60):
        raise OptionError("--before", _("give a time from 5m to 60d before the start"))
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
                        _(
                            "{slug} has no join link, and a reminder is for the link - set it with `innoff agenda event {slug} --join-url URL`"
                        ).format(slug=each.slug)
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
    not_coming = store.replies.not_coming(conn, slug)
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
    batches = []
    for each in reminders.events:
        if each.people:
            uid = ical.uid_for(invite_plans.UID_DOMAIN, each.event.slug)
            made = template(each.event, reminders.sequences.get(uid, 0), reminders.now)
            batches.append(plain_mail.Batch(each.key, each.people, lambda _mail, made=made: made))
    return plain_mail.deliver(
        db_path, KIND, batches, reminders.organizer, transport, sender=sender, rate=rate,
        now=reminders.now, progress=progress, record=record, on_wait=on_wait,
        again="`innoff reminders send` again inside the window",
    )  # fmt: skip
