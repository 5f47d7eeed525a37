"""`innoff followup send`: after an event, one plain mail to a group of its
people: thanks to those who attended, the recording to the no-shows, a word to
everyone registered. Once per person, event and message (store.mailings).

The groups come from the registrations and the attendance reports
(`innoff attendance import`): without a report for the event there are no
no-shows to write to, and the run refuses rather than call everyone one.
Who declined the invite gets no "you missed it" mail, nor one to everyone
registered; an erased person is no longer there to get anything.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from innoff_cli import clock, ical, invite_plans, invites, plain_mail, store
from innoff_cli.errors import InnoffError
from innoff_cli.i18n import _
from innoff_cli.models import Event
from innoff_cli.programme import match_event
from innoff_cli.store.mailings import Mailing
from innoff_cli.terminal import shown

KIND = "followup"
GROUPS = ("attended", "no-show", "registered")
PLACEHOLDER = re.compile(r"\{(navn|arrangement|opptak)\}")
# A word in braces is meant as a placeholder: one innoff does not know ({Navn},
# {avsender}) would reach everyone as written.
_WORD_IN_BRACES = re.compile(r"\{(\w+)\}")

# The built-in texts: (subject, body), in Norwegian as the participants are.
BUILT_IN = {
    "attended": (
        "Takk for at du var med på {arrangement}",
        "Takk for at du var med på {arrangement}!\n\n"
        "Opptaket kan du se igjen, og dele med kolleger, her: {opptak}\n\n"
        "Vi håper å se deg neste gang.",
    ),
    "no-show": (
        "Opptak fra {arrangement}",
        "Du var påmeldt {arrangement}, men fikk ikke vært med da det ble sendt.\n\n"
        "Opptaket ligger her, så du kan se det når det passer deg: {opptak}",
    ),
    "registered": (
        "{arrangement}: opptaket",
        "Takk for at du meldte deg på {arrangement}.\n\n"
        "Opptaket ligger her, for deg og kollegene dine: {opptak}",
    ),
}


@dataclass
class FollowupPlan:
    event: Event
    group: str
    subject: str  # with {arrangement} and {opptak} filled in; {navn} left per person
    body: str
    key: str  # the occasion stored with each mail: the group and the message's digest
    people: list[Mailing] = field(default_factory=list)
    already: int = 0  # sent this message before
    declined: int = 0  # left out: they declined the invite
    organizer: ical.Organizer | None = None
    now: datetime | None = None


def plan(
    db_path: Path, event: str, group: str, *, subject: str | None = None,
    body_file: Path | None = None, to: list[str] | None = None, organizer: str | None = None,
) -> FollowupPlan:  # fmt: skip
    """Who gets the follow-up; reads only."""
    body_text = _read_body(body_file) if body_file else None
    conn = store.connect(db_path)
    try:
        events = store.programme.load_events(conn)
        chosen = match_event(events, event)
        default_subject, default_body = BUILT_IN[group]
        subject_text = subject if subject is not None else default_subject
        body_text = body_text if body_text is not None else default_body
        if not subject_text.strip() or "\n" in subject_text:
            raise InnoffError(
                _("--subject must be one line of text - e.g. 'Opptak fra INNOFF-studio'")
            )
        _require_known_placeholders(subject_text, "--subject")
        if body_file:
            _require_known_placeholders(body_text, str(body_file))
        if "{opptak}" in subject_text + body_text and not chosen.recording_url:
            raise InnoffError(
                f"{chosen.slug} has no recording link, and the text gives it ({{opptak}}) -"
                f" set it with `innoff agenda event {chosen.slug} --recording-url URL`"
                + ("" if body_file else ", or give your own text with --body FILE")
            )
        filled_subject = _fill(subject_text, chosen, None)
        filled_body = _fill(body_text, chosen, None)
        digest = hashlib.sha256(f"{filled_subject}\0{filled_body}".encode()).hexdigest()[:16]
        result = FollowupPlan(chosen, group, filled_subject, filled_body, f"{group}:{digest}")
        _choose_people(conn, result, {a.strip().casefold() for a in to or ()})
        if result.people:
            result.organizer = invite_plans.organizer_of(events, organizer)
        result.now = clock.now()
        return result
    finally:
        conn.close()


def _require_known_placeholders(text: str, where: str) -> None:
    for found in _WORD_IN_BRACES.finditer(text):
        if not PLACEHOLDER.fullmatch(found[0]):
            raise InnoffError(
                _(
                    "{where} has {placeholder}, which innoff does not fill in - use {{navn}}, {{arrangement}} or {{opptak}}"
                ).format(where=where, placeholder=shown(found[0], 40))
            )


def _read_body(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InnoffError(
            _("no such file: {path} - check the path of --body").format(path=path)
        ) from None
    except UnicodeDecodeError:
        raise InnoffError(
            _("{path} is not UTF-8 text - save the text as UTF-8").format(path=path)
        ) from None
    except OSError as error:
        raise InnoffError(
            _("cannot read {path} ({strerror}) - check --body").format(
                path=path, strerror=error.strerror
            )
        ) from None
    text = text.replace("\r\n", "\n").strip()
    if not text:
        raise InnoffError(_("{path} is empty - write the mail's text in it").format(path=path))
    return text


def _fill(text: str, event: Event, name: str | None) -> str:
    """{arrangement} and {opptak} filled in; {navn} too when `name` is given.
    Other braces are left as they are (a text may hold them)."""
    values = {"arrangement": ical.clean_text(event.title), "opptak": event.recording_url}
    if name is not None:
        values["navn"] = name
    return PLACEHOLDER.sub(lambda m: values.get(m[1], m[0]), text)


def _choose_people(conn, result: FollowupPlan, wanted: set[str]) -> None:
    slug = result.event.slug
    seen = store.attendance.per_person(conn, [slug])
    if result.group != "registered" and not seen:
        raise InnoffError(
            _(
                "no attendance is recorded for {slug}, so no one can be told apart as attended or not - import the report first with `innoff attendance import FILE`"
            ).format(slug=slug)
        )
    declined = store.replies.not_coming(conn, slug)
    done = store.mailings.settled(conn, KIND, result.key, slug)
    there = {email for (email, _), row in seen.items() if row["attended"]}
    candidates = []
    for email, address, name, _event in store.registrations.invitees(conn, [slug]):
        if result.group == "attended" and email not in there:
            continue
        if result.group == "no-show" and email in there:
            continue
        if result.group != "attended" and email in declined:
            result.declined += 1
            continue
        candidates.append(Mailing(email, address, name, slug))
    if result.group == "attended":  # walk-ins attended too
        registered = {m.email for m in candidates}
        candidates += [
            Mailing(row["email"], row["email"], row["name"], slug)
            for row in store.attendance.walk_ins(conn, slug)
            if row["email"] not in registered
        ]
    for mail in candidates:
        if wanted and mail.email not in wanted:
            continue
        if mail.email in done:
            result.already += 1
        else:
            result.people.append(mail)


def template_for(result: FollowupPlan) -> Callable[[Mailing], plain_mail.PlainTemplate]:
    """Each person's mail: one shared, unless the text names them ({navn}); a
    text that names them greets them itself, one that does not is greeted
    ('Hei Kari Nordmann,') as every mail innoff sends is."""
    shared: dict[str, plain_mail.PlainTemplate] = {}
    # The page once, {navn} still in it: a name is put in as text, never read as
    # Markdown ('*Kari*' or a link in a name is shown as written).
    page = _page(result.body)

    def make(mail: Mailing) -> plain_mail.PlainTemplate:
        personal = "{navn}" in result.subject + result.body
        key = mail.name if personal else ""
        if key not in shared:
            if len(shared) > 64:
                shared.clear()
            name = " ".join(mail.name.split()) if personal else None
            subject = _fill(result.subject, result.event, name)
            body = _fill(result.body, result.event, name)
            shared[key] = plain_mail.PlainTemplate(
                " ".join(subject.split()),
                body + "\n",
                page.replace("{navn}", html.escape(name)) if name is not None else page,
                result.now,
                greet="{navn}" not in result.body,
            )
        return shared[key]

    return make


def _page(body: str) -> str:
    """The text as HTML: Markdown (CommonMark: emphasis, links, lists, headings;
    a line break kept as one; HTML in the text shown as text), and each bare
    http(s) address a link, as in the plain text's readers."""
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

    markdown = MarkdownIt("commonmark", {"html": False, "breaks": True})
    tokens = markdown.parse(body)
    for block in tokens:
        if block.type != "inline" or not block.children:
            continue
        children: list[Token] = []
        inside_link = 0
        for token in block.children:
            inside_link += {"link_open": 1, "link_close": -1}.get(token.type, 0)
            if token.type != "text" or inside_link:
                children.append(token)
                continue
            last = 0
            for found in _BARE_LINK.finditer(token.content):
                link = found[0]
                children.append(Token("text", "", 0, content=token.content[last : found.start()]))
                children.append(Token("link_open", "a", 1, attrs={"href": link}))
                children.append(Token("text", "", 0, content=link))
                children.append(Token("link_close", "a", -1))
                last = found.end()
            children.append(Token("text", "", 0, content=token.content[last:]))
        block.children = children
    return markdown.renderer.render(tokens, markdown.options, {})


# An http(s) address in running text, without the punctuation that ends a sentence.
_BARE_LINK = re.compile(r"https?://[^\s<>\"]+?(?=[.,;:!?)\]]*(?:\s|$))")


def deliver(db_path: Path, result: FollowupPlan, transport, *, sender: str | None = None,
            rate: int = 30, progress=None, record: bool = True,
            on_wait: store.OnWait = None) -> invites.SendReport:  # fmt: skip
    batch = plain_mail.Batch(result.key, result.people, template_for(result))
    return plain_mail.deliver(
        db_path, KIND, [batch], result.organizer, transport, sender=sender, rate=rate,
        now=result.now, progress=progress, record=record, on_wait=on_wait,
        again="`innoff followup send` again with the same text",
    )  # fmt: skip
