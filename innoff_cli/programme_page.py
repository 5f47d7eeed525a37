"""The programme as a web page participants can read: one standalone HTML file,
in Norwegian, made for WCAG 2.1 AA (the law for Norwegian public bodies' pages).

What makes it accessible, by construction: the language is declared (lang="nb");
one h1, an h2 per event; a skip link to the programme; each programme a table
with a caption, column headers (scope="col") and the time as each row's header
(scope="row"); times as <time datetime>; links that say where they go; text and
link colours well above 4.5:1 contrast (#1a1a1a 17:1, links #0b4f8a 8:1, breaks
#4d4d4d 8:1 on white), a visible focus outline, sizes in rem
(text can be enlarged to 200 %), a single column that reflows at 320 px; no
script, no colour alone carrying meaning (a break says "pause", a cancelled
event "Avlyst"). Printed (or as PDF) it fits the 2020 programme on one A4 page.

Every text from the programme is escaped; only http(s) addresses become links.
"""

from __future__ import annotations

import html
from datetime import datetime
from zoneinfo import ZoneInfo

from innoff_cli.i18n import _
from innoff_cli.models import Event
from innoff_cli.programme import norwegian_date

STYLE = """
:root { color: #1a1a1a; background: #fff; font-family: system-ui, -apple-system, "Segoe UI",
  Roboto, Arial, sans-serif; line-height: 1.5; }
body { margin: 0 auto; max-width: 48rem; padding: 1rem; }
a { color: #0b4f8a; text-decoration: underline; }
a:focus, a:hover { outline: 3px solid #0b4f8a; outline-offset: 2px; }
.hopp { position: absolute; left: -100rem; }
.hopp:focus { position: static; }
h1 { font-size: 2rem; margin: 1rem 0; }
h2 { font-size: 1.5rem; margin: 2rem 0 0.5rem; }
.fakta { margin: 0.5rem 0 1rem; padding: 0; list-style: none; }
.avlyst { font-weight: bold; color: #8a1c1c; }
table { border-collapse: collapse; width: 100%; margin: 1rem 0 2rem; }
caption { text-align: left; font-weight: bold; padding: 0.25rem 0; }
th, td { text-align: left; vertical-align: top; padding: 0.5rem; border-bottom: 1px solid #767676; }
thead th { border-bottom: 2px solid #1a1a1a; }
th[scope="row"] { white-space: nowrap; font-weight: normal; }
tr.pause td, tr.pause th { color: #4d4d4d; font-style: italic; }
.tabell { overflow-x: auto; }
.tabell:focus { outline: 3px solid #0b4f8a; }
@media (max-width: 30rem) {
  body { padding: 0.5rem; }
  th, td { padding: 0.35rem 0.2rem; }
  th[scope="row"] { white-space: normal; }
  td { overflow-wrap: anywhere; hyphens: auto; }
}
@page { size: A4; margin: 12mm 14mm; }
@media print {
  :root { font-size: 9pt; line-height: 1.35; }
  body { max-width: none; padding: 0; }
  h1 { font-size: 1.6rem; margin: 0 0 0.4rem; }
  h2 { font-size: 1.25rem; margin: 0.8rem 0 0.2rem; }
  .fakta { margin: 0.2rem 0 0.4rem; }
  p { margin: 0.3rem 0; }
  table { margin: 0.4rem 0 0.6rem; break-inside: avoid; }
  th, td { padding: 0.2rem 0.4rem; }
  a { color: #000; }
  .hopp { display: none; }
}
""".strip()


def page(events: list[Event], tz: ZoneInfo, title: str | None = None) -> str:
    """The whole page, as text."""
    names = [event.title for event in events]
    heading = title or "Program for " + (
        names[0] if len(names) == 1 else ", ".join(names[:-1]) + " og " + names[-1]
    )
    parts = [
        "<!DOCTYPE html>",
        '<html lang="nb">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_text(heading)}</title>",
        f"<style>\n{STYLE}\n</style>",
        "</head>",
        "<body>",
        '<a class="hopp" href="#program">Hopp til programmet</a>',
        "<header>",
        f"<h1>{_text(heading)}</h1>",
        "</header>",
        '<main id="program">',
    ]
    for event in events:
        parts += _event(event, tz)
    parts += ["</main>", "</body>", "</html>", ""]
    return "\n".join(parts)


def _event(event: Event, tz: ZoneInfo) -> list[str]:
    start, end = event.start.astimezone(tz), event.end.astimezone(tz)
    anchor = f"arrangement-{_attribute(event.slug)}"
    title = _text(event.title)
    lines = [f'<section aria-labelledby="{anchor}">', f'<h2 id="{anchor}">{title}</h2>']
    facts = []
    if event.cancelled:
        facts.append('<li class="avlyst">Avlyst</li>')
    facts.append(
        f"<li>Når: {_time(start, norwegian_date(start.date()))}, kl. {_time(start, _clock(start))}"
        f"–{_time(end, _clock(end))}"
        + (f" ({_text(tz.key)})" if tz.key != "Europe/Oslo" else "")
        + "</li>"
    )
    if event.location:
        facts.append(f"<li>Hvor: {_text(event.location)}</li>")
    if event.part_of:
        facts.append(f"<li>Del av {_text(event.part_of)}</li>")
    if event.join_url and not event.cancelled:
        facts.append(f"<li>{_link(event.join_url, f'Bli med digitalt på {event.title}')}</li>")
    if event.recording_url:
        facts.append(f"<li>{_link(event.recording_url, f'Se opptaket av {event.title}')}</li>")
    elif event.recorded:
        facts.append("<li>Sendingen kan også sees i etterkant.</li>")
    if event.url:
        facts.append(f"<li>{_link(event.url, f'Mer om {event.title}')}</li>")
    lines += ['<ul class="fakta">', *facts, "</ul>"]
    if event.description:
        lines += [f"<p>{_text(paragraph)}</p>" for paragraph in event.description.split("\n\n")]
    if event.items:
        # In a region of its own that scrolls (and can be reached by keyboard) if a
        # narrow screen cannot fit it after wrapping: the page itself never does.
        lines += [
            f'<div class="tabell" role="region" aria-label="Program for {title}" tabindex="0">',
            "<table>",
            f"<caption>Program for {title}</caption>",
            '<thead><tr><th scope="col">Tid</th><th scope="col">Innhold</th>'
            '<th scope="col">Hvem</th></tr></thead>',
            "<tbody>",
        ]
        for item in event.items:
            a, b = item.start.astimezone(tz), item.end.astimezone(tz)
            kind = ' class="pause"' if item.kind == "break" else ""
            what = _text(item.title) + (" (pause)" if item.kind == "break" and "pause"
                                       not in item.title.casefold() else "")  # fmt: skip
            who = "; ".join(_text(speaker.describe()) for speaker in item.speakers)
            lines.append(
                f'<tr{kind}><th scope="row">{_time(a, _clock(a))}–{_time(b, _clock(b))}</th>'
                f"<td>{what}</td><td>{who}</td></tr>"
            )
        lines += ["</tbody>", "</table>", "</div>"]
    lines.append("</section>")
    return lines


def _clock(moment: datetime) -> str:
    return f"{moment:%H:%M}"


def _time(moment: datetime, shown: str) -> str:
    return f'<time datetime="{moment.isoformat()}">{_text(shown)}</time>'


def _text(text: str) -> str:
    return html.escape(" ".join(text.split()), quote=True)


def _attribute(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in text)


def _link(url: str, label: str) -> str:
    """A link that says where it goes; a web address only (never javascript: and
    the like), else the address as text."""
    if not url.lower().startswith(("https://", "http://")):
        return f"{_text(label)}: {_text(url)}"
    return f'<a href="{html.escape(url, quote=True)}">{_text(label)}</a>'


def pdf(text: str) -> tuple[bytes, int]:
    """The page as a tagged PDF (PDF/UA-1: the structure tree, /Lang and /Title
    for screen readers), and its number of pages. WeasyPrint (innoff[pdf]) is the
    only heavy dependency of any path: imported here and nowhere else."""
    from innoff_cli.errors import InnoffError

    try:
        import weasyprint
    except ImportError:
        raise InnoffError(
            _(
                "the PDF is made by WeasyPrint, which is not installed - pip install 'innoff[pdf]' (it needs the Pango library: see the README), or print the html page"
            )
        ) from None
    except OSError as error:  # installed, but its system libraries are missing
        raise InnoffError(
            _(
                "WeasyPrint cannot start ({value}) - install Pango (see WeasyPrint's installation notes), or print the html page"
            ).format(value=str(error).splitlines()[0][:120])
        ) from None
    document = weasyprint.HTML(string=text).render()
    return document.write_pdf(pdf_variant="pdf/ua-1"), len(document.pages)
