"""Pure tests of registration_exports, reading registration exports: encodings, delimiters, headers, dates, rows."""

from __future__ import annotations

import codecs
import hashlib
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from innoff_cli import programme, registration_exports
from innoff_cli.errors import InnoffError
from innoff_cli.registration_exports import DateReader, ParsedRow, Rejected, RowReader

OSLO = ZoneInfo("Europe/Oslo")
EVENTS = programme.bundled_programme()


def chunks(data: bytes, size: int = 7):
    return [data[i : i + size] for i in range(0, len(data), size)]


@pytest.mark.parametrize(
    "data, expected",
    [
        ("Navn;E-post\nØystein Ås;o@x.no\n".encode(), "utf-8"),
        (codecs.BOM_UTF8 + "Navn;E-post\nÅse;a@x.no\n".encode(), "utf-8-sig"),
        ("Navn;E-post\nSølvi Ærland;s@x.no\n".encode("cp1252"), "cp1252"),
        ("Navn\tE-post\nÅse\ta@x.no\n".encode("utf-16"), "utf-16"),
        (b"name,email\nplain,ascii@example.org\n", "utf-8"),
    ],
)
def test_detect_encoding_in_small_chunks(data, expected):
    # Chunks of 7 bytes split multi-byte characters: the decoder must carry them over.
    assert registration_exports.detect_encoding(chunks(data)) == (
        expected,
        hashlib.sha256(data).hexdigest(),
    )


def test_detect_encoding_sees_a_late_windows_byte():
    data = b"name;email\n" + b"a;a@x.no\n" * 10_000 + "Ø;o@x.no\n".encode("cp1252")
    assert registration_exports.detect_encoding(chunks(data, 4096))[0] == "cp1252"


@pytest.mark.parametrize(
    "sample, delimiter",
    [
        ('Navn;E-post;Org\nKari;k@x.no;"A, B, C"\nOla;o@x.no;D\n', ";"),
        ('name,email,org\nKari,k@x.no,"A; B"\nOla,o@x.no,D\n', ","),
        ("name\temail\torg\nKari\tk@x.no\tA, B; C\n", "\t"),
        ("email\nk@x.no\n", ","),
    ],
)
def test_sniff_delimiter(sample, delimiter):
    assert registration_exports.sniff_delimiter(sample) == delimiter


def plan(header, *rows, overrides=None):
    return registration_exports.plan_columns(header, [list(r) for r in rows], EVENTS, overrides)


def test_norwegian_headers():
    p = plan(
        [
            "Fullt navn",
            "E-postadresse",
            "Arbeidsgiver",
            "Stilling",
            "Kommune",
            "Mobil",
            "Påmeldingsdato",
            "Allergier",
        ],
        ["Kari", "k@x.no", "KS", "rådgiver", "Bergen", "99", "17.11.2020", "nøtter"],
    )
    assert p.fields == {
        "email": 1, "name": 0, "organisation": 2, "role": 3,
        "municipality": 4, "phone": 5, "registered_at": 6,
    }  # fmt: skip
    assert p.extra == (7,)
    assert not p.month_first


def test_english_headers_with_first_and_last_name():
    p = plan(
        ["First Name", "Last Name", "Email Address", "Organization", "Job Title"],
        ["A", "B", "a@x.no", "Org", "T"],
    )
    assert p.fields == {"email": 2, "first_name": 0, "last_name": 1, "organisation": 3, "role": 4}


def test_microsoft_forms_anonymous_columns_lose_to_the_real_ones():
    header = ["ID", "Start time", "Completion time", "Email", "Name", "Navn", "E-post"]
    row = ["1", "11/2/20 9:00:01", "11/2/20 9:01:12", "anonymous", "anonymous", "Per", "per@ks.no"]
    p = plan(header, row, row)
    assert (p.fields["email"], p.fields["name"], p.fields["registered_at"]) == (6, 5, 2)
    assert p.month_first
    assert set(p.extra) == {0, 1, 3, 4}  # nothing dropped


def test_microsoft_forms_account_columns_lose_to_the_forms_own_questions():
    """Forms fills Email and Name for respondents who were signed in, and leaves
    them 'anonymous' or blank for everyone else: the form's own questions hold
    what each person gave, for all of them, even where the few signed in made
    the account column look as good; in Norwegian both are 'E-post' and 'Navn'."""
    header = ["ID", "Start time", "Completion time", "Email", "Name", "Last modified time",
              "Navn", "E-post"]  # fmt: skip
    few = ["2", "11/3/20 9:00", "11/3/20 9:01", "per@innoff.no", "Per Berg", "", "Per", "p@ks.no"]
    rest = ["1", "11/2/20 9:00", "11/2/20 9:01", "anonymous", "", "", "Kari", "k@ks.no"]
    p = plan(header, few, rest, rest)
    assert (p.fields["email"], p.fields["name"]) == (7, 6)
    signed_in = plan(header, few, few)  # everyone signed in: the answers still win
    assert (signed_in.fields["email"], signed_in.fields["name"]) == (7, 6)
    norwegian = ["ID", "Starttidspunkt", "Fullføringstidspunkt", "E-post", "Navn",
                 "Tidspunkt for siste endring", "Navn", "E-post"]  # fmt: skip
    p = plan(norwegian, few, rest)
    assert (p.fields["email"], p.fields["name"]) == (7, 6)
    # Not Forms (no ID, start and completion time first): the leftmost of equals.
    p = plan(["Navn", "E-post", "Fullt navn"], ["Kari", "k@ks.no", "Kari Nordmann"])
    assert p.fields["name"] == 0


def test_loose_headers_and_values_decide():
    p = plan(["Hva er din e-postadresse?", "Ditt navn"], ["k@x.no", "Kari"])
    assert p.fields == {"email": 0, "name": 1}
    p = plan(["Deltaker", "Kontakt"], ["Kari", "k@x.no"])  # no e-mail header: values decide
    assert p.fields["email"] == 1


def test_a_compound_header_is_what_it_ends_with_and_the_participant_beats_the_buyer():
    p = plan(
        ["Bestillers e-post", "Deltakers navn", "Deltakers e-post"],
        ["ola@firma.no", "Kari Nordmann", "kari@x.no"],
    )
    assert (p.fields["email"], p.fields["name"]) == (2, 1)
    assert p.extra == (0,)


def test_a_birth_date_is_no_registration_time():
    p = plan(["E-post", "Fødselsdato", "Sist endret dato"], ["a@x.no", "01.02.1980", "03.11.2020"])
    assert "registered_at" not in p.fields and p.extra == (1, 2)
    p = plan(["E-post", "Fødselsdato", "Påmeldt dato"], ["a@x.no", "01.02.1980", "03.11.2020"])
    assert p.fields["registered_at"] == 2


def test_event_columns():
    p = plan(
        ["E-post", "Deltar på årsmøte", "Påmeldt til", "Kommentar"],
        ["a@x.no", "Ja", "INNOFF-studio;Årsmøte", "x"],
        ["b@x.no", "", "Studio", "y"],
    )
    assert p.event_flags == ((1, "arsmote"),)
    assert p.event_lists == (2,)
    assert p.extra == (3,)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Ja", True), (" x ", True), ("✓", True), ("Ja, digitalt", True), ("Yes please", True),
        ("", False), ("Nei", False), ("Deltar ikke", False), ("Nei takk", False),
        ("No, sorry", False), ("Kanskje", None), ("Jada", None), ("Usikker, ja", None),
    ],
)  # fmt: skip
def test_yes_or_no(text, expected):
    assert registration_exports.yes_or_no(text) is expected


def test_a_yes_no_column_may_answer_in_words():
    p = plan(
        ["E-post", "Blir du med på årsmøtet?"], ["a@x.no", "Ja, digitalt"], ["b@x.no", "Nei takk"]
    )
    assert p.event_flags == ((1, "arsmote"),)


@pytest.mark.parametrize(
    "written, typed",
    [
        ("Nordmann, Kari", "Kari Nordmann"),
        ("Dahl, Bjørn Olav", "Bjørn Olav Dahl"),
        ("van der Berg, Anne", "Anne van der Berg"),
        ("KARI NORDMANN", "Kari Nordmann"),
        ("ØSTBY, ÆRLIG", "Ærlig Østby"),
        ("anne-lise van der berg", "Anne-Lise van der Berg"),
        ("o'brien, sean", "Sean O'Brien"),
        # Left as written: not a surname and given names, or already in mixed case.
        ("Kari Nordmann", "Kari Nordmann"),
        ("Kari Nordmann, PhD", "Kari Nordmann, PhD"),
        ("Kari Nordmann, Bergen kommune", "Kari Nordmann, Bergen kommune"),
        ("Nordmann, Kari, Bergen", "Nordmann, Kari, Bergen"),
        ("Gruppe 2, Bergen", "Gruppe 2, Bergen"),
        ("McDonald", "McDonald"),
    ],
)
def test_tidy_name(written, typed):
    name, changes = registration_exports.tidy_name(written)
    assert name == typed
    assert bool(changes) == (written != typed)


def test_a_status_column_is_found_and_kept():
    p = plan(["E-post", "Attendee Status"], ["a@x.no", "Attending"])
    assert p.status == 1 and p.extra == (1,)
    assert "Attendee Status → status: rows not coming are rejected" in p.describe()


def test_blank_and_repeated_headers_get_names_of_their_own():
    p = plan(["E-post", "", "Notat", "notat"], ["a@x.no", "1", "2", "3"])
    assert p.header == ("E-post", "column 2", "Notat", "notat (column 4)")
    assert p.describe()[-1] == "kept as extra: column 2, Notat, notat (column 4)"


def test_overrides_win_and_are_checked():
    p = plan(["Kontakt", "Notat"], ["k@x.no", "n"], overrides={"notat": "role", "KONTAKT": "email"})
    assert p.fields == {"role": 1, "email": 0}
    with pytest.raises(
        InnoffError, match="--map: no column called 'Epost' - the columns are: Kontakt, Notat"
    ):
        plan(["Kontakt", "Notat"], overrides={"Epost": "email"})
    with pytest.raises(InnoffError, match="--map: unknown field 'shoe size'"):
        plan(["Kontakt", "Notat"], overrides={"Notat": "shoe size"})


def test_no_email_column_is_an_error_naming_the_columns():
    with pytest.raises(
        InnoffError,
        match="no e-mail column found - name it with --map 'HEADER=email' \\(the columns are: Navn, By\\)",
    ):
        plan(["Navn", "By"], ["Kari", "Bergen"])


@pytest.mark.parametrize(
    "text, expected",
    [
        ("kari@example.org", "kari@example.org"),
        ("  Kari.Nordmann@Bergen.Kommune.NO ", "Kari.Nordmann@bergen.kommune.no"),
        ("Kari Nordmann <kari@example.org>", "kari@example.org"),
        ("mailto:kari@example.org", "kari@example.org"),
        ("kåre@kommune.no", "kåre@kommune.no"),
    ],
)
def test_check_email_accepts(text, expected):
    assert registration_exports.check_email(text) == (expected, None)


@pytest.mark.parametrize(
    "text, reason",
    [
        ("", "no e-mail address"),
        ("anonymous", "no e-mail address"),
        ("kari@", "bad e-mail address 'kari@'"),
        ("kari.example.org", "bad e-mail address 'kari.example.org': it must have exactly one @"),
        ("kari@@example.org", "bad e-mail address 'kari@@example.org': it must have exactly one @"),
        ('"kari@home"@example.org', "exactly one @"),
        ("kari..n@example.org", "two periods"),
        ("kari@localhost", "bad e-mail address"),
    ],
)
def test_check_email_rejects_with_a_reason(text, reason):
    email, problem = registration_exports.check_email(text)
    assert email is None and reason in problem


@pytest.mark.parametrize(
    "text, month_first, expected",
    [
        ("17.11.2020 09:13", False, "2020-11-17T08:13:00+00:00"),
        ("17.11.2020", False, "2020-11-16T23:00:00+00:00"),
        ("2020-11-02T09:01:12", False, "2020-11-02T08:01:12+00:00"),
        ("2020-11-02 09:01:12+01:00", False, "2020-11-02T08:01:12+00:00"),
        ("2020-06-02 09:01", False, "2020-06-02T07:01:00+00:00"),  # summer time
        ("11/2/20 9:01:12", True, "2020-11-02T08:01:12+00:00"),  # Microsoft Forms, month first
        ("02/11/2020 09:01", False, "2020-11-02T08:01:00+00:00"),  # Norwegian, day first
        ("2020/11/02 9:01:12 PM GMT+1", False, "2020-11-02T20:01:12+00:00"),  # Google Forms
        ("5.11.2020 kl. 09:00", False, "2020-11-05T08:00:00+00:00"),
        ("02.11.2020 kl. 09.13.45", False, "2020-11-02T08:13:45+00:00"),  # Sheets in Norwegian
        ("02.11.2020 09.13", False, "2020-11-02T08:13:00+00:00"),
        ("28. okt. 2020 kl. 14.02", False, "2020-10-28T13:02:00+00:00"),
        ("tirsdag 1. desember 2020 kl. 09:00", False, "2020-12-01T08:00:00+00:00"),
        ("15. mai 2020", False, "2020-05-14T22:00:00+00:00"),
        ("Nov 2, 2020 9:13 AM", False, "2020-11-02T08:13:00+00:00"),
        ("i går", False, None),
        ("kl. 9", False, None),  # no date in it: not today's
    ],
)
def test_dates(text, month_first, expected):
    assert DateReader(month_first, OSLO).read(text) == expected


@pytest.mark.parametrize(
    "header, dates, month_first",
    [
        ("Timestamp", ["11/2/2020 9:13:45", "11/17/2020 10:00:00"], True),  # only month-first fits
        ("Completion time", ["17/11/2020 10:00", "2/11/2020 9:00"], False),  # only day-first fits
        ("Completion time", ["11/2/20 9:01:12"], True),  # undecided: Forms' own column
        ("Timestamp", ["11/2/2020 9:13:45"], False),  # undecided: the Norwegian way
    ],
)
def test_slashed_dates_are_read_the_way_the_column_allows(header, dates, month_first):
    p = plan(["E-post", header], *(["a@x.no", d] for d in dates))
    assert p.month_first is month_first


def test_a_recognised_date_format_is_reused_and_a_misfit_still_parses():
    reader = DateReader(False, OSLO)
    assert reader.read("17.11.2020 09:13") and reader.format == "%d.%m.%Y %H:%M"
    assert reader.read("2020-11-17 10:00") == "2020-11-17T09:00:00+00:00"


def reader_for(header, *rows):
    p = plan(header, *rows)
    return RowReader(p, EVENTS, "studio", OSLO)


def test_row_reader_builds_a_participant():
    r = reader_for(
        ["Fornavn", "Etternavn", "E-post", "Kommune", "Allergier"],
        ["Kari ", " Nordmann", "Kari@X.no", "Bergen", "nøtter"],
    )
    row = r.read(2, ["Kari ", " Nordmann", "Kari@X.no", "Bergen", "nøtter", "stray"])
    assert row == ParsedRow(
        line=2, email="kari@x.no", address="Kari@x.no", name="Kari Nordmann", organisation="", role="",
        municipality="Bergen", phone="", registered_utc=None,
        extra='{"Allergier":"nøtter","column 6":"stray"}', events=r.bits["studio"],
        sort_key="kari nordmann",
    )  # fmt: skip


def test_a_full_name_in_the_first_name_column_is_not_doubled():
    r = reader_for(["Fornavn", "Etternavn", "E-post"], ["Kari Nordmann", "Nordmann", "k@x.no"])
    assert r.read(2, ["Kari Nordmann", "Nordmann", "k@x.no"]).name == "Kari Nordmann"
    assert r.read(3, ["Kari", "Nordmann", "k@x.no"]).name == "Kari Nordmann"


def test_a_cell_with_several_addresses_gives_the_first_and_keeps_the_rest():
    r = reader_for(["Navn", "E-post"], ["Kari", "k@x.no"])
    row = r.read(2, ["Kari", "Kari@Jobb.no; kari@privat.no"])
    assert (row.email, row.extra) == ("kari@jobb.no", '{"E-post":"Kari@Jobb.no; kari@privat.no"}')
    assert r.warnings.lines() == [
        "cells with several e-mail addresses, the first one used: 1 (line 2: Kari@Jobb.no; kari@privat.no)"
    ]
    assert isinstance(r.read(3, ["Per", "per@@x.no"]), Rejected)


def test_row_reader_rejects_and_skips():
    r = reader_for(["Navn", "E-post"], ["Kari", "k@x.no"])
    assert r.read(3, ["Kari", ""]) == Rejected(3, ("Kari", ""), "no e-mail address")
    assert r.read(4, ["", "  "]) is None
    assert r.read(5, []) is None


def test_row_events_yes_no_and_lists():
    r = reader_for(["E-post", "Deltar på årsmøte"], ["a@x.no", "Ja"])
    assert r.slugs(r.read(2, ["a@x.no", "Ja"]).events) == ("studio", "arsmote")
    assert r.slugs(r.read(3, ["a@x.no", "nei"]).events) == ("studio",)
    assert r.slugs(r.read(4, ["a@x.no", "x"]).events) == ("studio", "arsmote")
    r = reader_for(["E-post", "Arrangement"], ["a@x.no", "Årsmøte"])
    assert r.slugs(r.read(2, ["a@x.no", "Årsmøte"]).events) == ("arsmote",)
    assert r.slugs(r.read(3, ["a@x.no", "INNOFF-studio og årsmøtet"]).events) == (
        "studio",
        "arsmote",
    )
    assert r.slugs(r.read(4, ["a@x.no", ""]).events) == ("studio",)  # names none: the default
    assert r.slugs(r.read(5, ["a@x.no", "Begge deler"]).events) == ("studio", "arsmote")
    r = reader_for(
        ["E-post", "Deltar på INNOFF-studio", "Deltar på årsmøte"], ["a@x.no", "Nei", "Ja"]
    )
    assert r.slugs(r.read(2, ["a@x.no", "Nei", "Ja"]).events) == ("arsmote",)
    nothing = r.read(3, ["a@x.no", "Nei", "Kanskje"])  # no to the one, unread is no
    assert (nothing.reason, nothing.status) == ("answered no to every event",) * 2
    assert "yes/no answers not understood, read as no: 1 (line 3: Kanskje)" in r.warnings.lines()


@given(
    moment=st.datetimes(min_value=datetime(2019, 1, 1), max_value=datetime(2026, 12, 31)),
    zone=st.sampled_from(["Europe/Oslo", "UTC", "Asia/Kolkata", "America/St_Johns"]),
    fmt=st.sampled_from(
        [
            "%d.%m.%Y %H:%M:%S",
            "%d.%m.%Y %H:%M",
            "%d.%m.%Y",
            "%Y-%m-%dT%H:%M:%S",
            "%d.%m.%Y kl. %H.%M.%S",
            "%d/%m/%y %H:%M:%S",
        ]
    ),  # fmt: skip
)
def test_the_fast_date_path_agrees_with_the_datetime_sums(moment, zone, fmt):
    tz = ZoneInfo(zone)
    reader = DateReader(False, tz)
    reader.read(
        datetime(2020, 1, 31, 23, 59, 59).strftime(fmt)
    )  # picks the format: the rest go fast
    assert reader.format == fmt and reader.pattern is not None
    text = moment.strftime(fmt)
    local = datetime.strptime(text, fmt)
    expected = local.replace(tzinfo=tz).astimezone(UTC).isoformat()
    assert reader.read(text) == expected
    assert reader.read(text) == expected  # from the cache too
    assert reader.read(f" {text} ") == expected  # white space around it


@pytest.mark.parametrize("text", ["31.02.2020 10:00", "17.11.2020 10:60", "17.13.2020 10:00"])
def test_the_fast_date_path_refuses_what_is_no_time(text):
    reader = DateReader(False, OSLO)
    assert reader.read("17.11.2020 09:13") == "2020-11-17T08:13:00+00:00"
    assert reader.read(text) is None


@settings(max_examples=300)
@given(
    moments=st.lists(
        st.datetimes(min_value=datetime(2020, 3, 27), max_value=datetime(2020, 4, 2)),
        min_size=1,
        max_size=60,
    ),
    zone=st.sampled_from(["Europe/Oslo", "Asia/Kolkata", "America/St_Johns"]),
    fmt=st.sampled_from(["%d.%m.%Y %H:%M", "%d.%m.%Y kl. %H.%M.%S", "%Y-%m-%dT%H:%M:%S"]),
)
def test_hours_and_tails_of_other_texts_make_the_right_time(moments, zone, fmt):
    """The quickest path joins an hour seen in one text to minutes seen in another,
    in DateReader.read and in the row loop's own copy of it; both agree with the
    datetime sums (around a change to summer time, in zones whole and not whole
    hours off UTC)."""
    tz = ZoneInfo(zone)
    texts = [moment.strftime(fmt) for moment in moments]
    expected = [
        datetime.strptime(text, fmt).replace(tzinfo=tz).astimezone(UTC).isoformat()
        for text in texts
    ]
    reader = DateReader(False, tz)
    assert [reader.read(text) for text in texts * 2] == expected * 2
    header = ["E-post", "Påmeldt"]
    rows = [(n, [f"p{n}@x.no", text]) for n, text in enumerate(texts * 2, start=2)]
    p = registration_exports.plan_columns(header, [cells for _, cells in rows[:5]], EVENTS)
    row_reader = RowReader(p, EVENTS, "studio", tz)
    got = [row[8] for row in row_reader.rows(rows, lambda rejected: None)]
    assert got == expected * 2


def test_digits_of_other_scripts_give_an_iso_time_in_ascii():
    """strptime reads Arabic-Indic digits too; the fast path, which copies minutes as
    written, must leave them to it (it once answered '09:5\u0663')."""
    reader = DateReader(False, OSLO)
    assert reader.read("17.11.2020 09:13") == "2020-11-17T08:13:00+00:00"
    assert reader.read("17.11.2020 10:5\u0663") == "2020-11-17T09:53:00+00:00"
    assert reader.read("1\u0667.11.2020 10:14") == "2020-11-17T09:14:00+00:00"
    assert reader.read("17.11.2020 10:15") == "2020-11-17T09:15:00+00:00"


def test_a_time_the_format_cannot_read_may_choose_another_and_the_hours_go_with_it():
    reader = DateReader(True, UTC)  # month-first, as under Microsoft Forms' time headers
    assert reader.read("04/03/2020 10:00:00") == "2020-04-03T10:00:00+00:00"
    # No month 13: read day-first, as the slow path always did, not dropped.
    assert reader.read("13/04/2020 10:00:00") == "2020-04-13T10:00:00+00:00"
    assert reader.format == "%d/%m/%Y %H:%M:%S"
    # The hour '04/03/2020 10' seen under the old format is not reused under the new.
    assert reader.read("04/03/2020 10:30:00") == "2020-03-04T10:30:00+00:00"


@pytest.mark.parametrize(
    "address, ok",
    [("k" * 64 + "@x.no", True), ("k" * 65 + "@x.no", False),
     ("k@" + ("d" * 60 + ".") * 4 + "no", True), ("k@" + ("d" * 60 + ".") * 5 + "no", False),
     ("k" * 5000 + "@x.no", False), ("ø" * 32 + "@x.no", True), ("ø" * 33 + "@x.no", False)],
)  # fmt: skip
def test_addresses_keep_rfc_5321_lengths(address, ok):
    found, problem = registration_exports.check_email(address)
    assert (found is not None) == ok, problem
    if not ok:
        assert "longer than e-mail allows" in problem and len(problem) < 200
    # The import's own fast path agrees.
    header = ["Navn", "E-post"]
    plan = registration_exports.plan_columns(header, [["Kari", "kari@x.no"]], EVENTS)
    row = RowReader(plan, EVENTS, "studio", OSLO).read(2, ["Kari", address])
    assert isinstance(row, ParsedRow) == ok


CLASSIC_EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)


@settings(max_examples=300)
@given(
    text=st.text(alphabet="aZ09-._@+é", max_size=24)
    | st.builds(
        lambda local, labels, top: f"{local}@{'.'.join(labels)}.{top}",
        st.text(alphabet="ab.-_+", min_size=1, max_size=6),
        st.lists(st.text(alphabet="ab0-", min_size=1, max_size=66), min_size=1, max_size=3),
        st.text(alphabet="ab0-", max_size=65),
    )
)
def test_the_fast_address_regex_is_the_classic_one(text):
    """addresses._EMAIL is written with possessive quantifiers for speed; it must
    accept exactly what the classic, backtracking form does."""
    from innoff_cli.addresses import _EMAIL

    assert bool(_EMAIL.fullmatch(text)) == bool(CLASSIC_EMAIL.fullmatch(text))


@settings(max_examples=300)
@given(
    values=st.lists(
        st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=12),
        min_size=1,
        max_size=4,
    )
)
def test_extra_columns_are_written_as_sqlite_json_patch_writes_them(values):
    """The import's merge keeps a side's extra as it is when the other side has
    none, instead of asking json_patch(); that is the same only because the rows
    write their extra exactly as json_patch() would (and a re-import compares equal)."""
    import sqlite3

    header = ["E-post", *(f"Spørsmål {n}" for n in range(len(values)))]
    cells = ["kari@x.no", *values]
    reader = RowReader(
        registration_exports.plan_columns(header, [cells], EVENTS), EVENTS, "studio", OSLO
    )
    row = reader.read(2, cells)
    assert isinstance(row, ParsedRow)
    conn = sqlite3.connect(":memory:")
    patched = conn.execute("SELECT json_patch(?, '{}'), json_patch('{}', ?)", [row.extra] * 2)
    assert patched.fetchone() == (row.extra, row.extra)
