"""Numbered schema steps, applied in order when the database is opened.

A step that has landed is never edited: change the schema with a new step.
The functions are plain so that `MIGRATION_NAMES` can be read without
importing sqlite-utils (the read path of `agenda show` checks it cheaply).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlite_utils import Database

MIGRATION_SET = "innoff"


def m001_create_programme(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE events (
            slug TEXT PRIMARY KEY,
            title TEXT NOT NULL,
            start_utc TEXT NOT NULL,
            end_utc TEXT NOT NULL,
            timezone TEXT NOT NULL,
            location TEXT NOT NULL DEFAULT '',
            url TEXT NOT NULL DEFAULT '',
            aliases TEXT NOT NULL DEFAULT '[]',
            part_of TEXT NOT NULL DEFAULT '',
            registration TEXT NOT NULL DEFAULT '',
            recorded INTEGER NOT NULL DEFAULT 0,
            partners TEXT NOT NULL DEFAULT '[]',
            description TEXT NOT NULL DEFAULT '',
            organizer_name TEXT NOT NULL DEFAULT '',
            organizer_email TEXT NOT NULL DEFAULT ''
        )
        """
    )
    db.execute(
        """
        CREATE TABLE items (
            id TEXT PRIMARY KEY,
            event TEXT NOT NULL REFERENCES events(slug) ON DELETE CASCADE,
            start_utc TEXT NOT NULL,
            end_utc TEXT NOT NULL,
            title TEXT NOT NULL,
            kind TEXT NOT NULL,
            speakers TEXT NOT NULL DEFAULT '[]',
            description TEXT NOT NULL DEFAULT ''
        )
        """
    )
    db.execute("CREATE INDEX items_event_start ON items(event, start_utc)")


def m002_create_registrations(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE participants (
            email TEXT PRIMARY KEY,           -- trimmed and folded to lower case: the key
            address TEXT NOT NULL DEFAULT '', -- as the person wrote it (domain in lower case)
            name TEXT NOT NULL DEFAULT '',
            organisation TEXT NOT NULL DEFAULT '',
            role TEXT NOT NULL DEFAULT '',
            municipality TEXT NOT NULL DEFAULT '',
            phone TEXT NOT NULL DEFAULT '',
            registered_utc TEXT,              -- ISO 8601 in UTC, so it sorts
            extra TEXT NOT NULL DEFAULT '{}'  -- JSON: the columns innoff does not know
        )
        """
    )
    db.execute(
        """
        CREATE TABLE imports (
            id INTEGER PRIMARY KEY,
            file_name TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            imported_at TEXT NOT NULL,
            encoding TEXT NOT NULL,
            delimiter TEXT NOT NULL,
            rows INTEGER NOT NULL,
            new INTEGER NOT NULL,
            updated INTEGER NOT NULL,
            unchanged INTEGER NOT NULL,
            duplicates INTEGER NOT NULL,
            rejected INTEGER NOT NULL
        )
        """
    )
    db.execute(
        """
        CREATE TABLE registrations (
            email TEXT NOT NULL REFERENCES participants(email) ON DELETE CASCADE,
            event TEXT NOT NULL REFERENCES events(slug) ON DELETE CASCADE,
            import_id INTEGER REFERENCES imports(id),
            PRIMARY KEY (email, event)
        ) WITHOUT ROWID
        """
    )
    db.execute("CREATE INDEX registrations_event ON registrations(event)")
    db.execute(
        """
        CREATE TABLE participant_imports (
            email TEXT NOT NULL REFERENCES participants(email) ON DELETE CASCADE,
            import_id INTEGER NOT NULL REFERENCES imports(id),
            line INTEGER NOT NULL,
            PRIMARY KEY (email, import_id)
        ) WITHOUT ROWID
        """
    )


def m003_create_calendar_state(db: Database) -> None:
    # What innoff last exported per UID, so a change gets SEQUENCE + 1 and a
    # removal a cancellation. Not tied to events by a foreign key: a removed
    # event must be remembered until its cancellation has been written.
    db.execute(
        """
        CREATE TABLE calendar_state (
            uid TEXT PRIMARY KEY,
            event TEXT NOT NULL,
            item TEXT,
            fingerprint TEXT NOT NULL,
            sequence INTEGER NOT NULL,
            summary TEXT NOT NULL,
            start_utc TEXT NOT NULL,
            end_utc TEXT NOT NULL,
            location TEXT NOT NULL DEFAULT '',
            cancelled INTEGER NOT NULL DEFAULT 0,
            exported_at TEXT NOT NULL
        )
        """
    )
    # Invites written, per person and UID. No foreign key to participants: when
    # a person is erased, only their e-mail and UIDs stay (erased = 1) until the
    # next `export ics --invites` has written their cancellation; then they go.
    db.execute(
        """
        CREATE TABLE invites (
            email TEXT NOT NULL,
            uid TEXT NOT NULL,
            sequence INTEGER NOT NULL,
            erased INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (email, uid)
        ) WITHOUT ROWID
        """
    )


def m004_drop_registrations_event_index(db: Database) -> None:
    # An index on a column with a handful of values (one per event) saves
    # little when listing one event's people, and cost every import a second
    # B-tree as large as the table: about a fifth of the file and of the write.
    db.execute("DROP INDEX IF EXISTS registrations_event")


def m005_create_outbox(db: Database) -> None:
    # The link for digital participation and the recording, beside the
    # information page (`url`): invites carry the join link.
    db.execute("ALTER TABLE events ADD COLUMN join_url TEXT NOT NULL DEFAULT ''")
    db.execute("ALTER TABLE events ADD COLUMN recording_url TEXT NOT NULL DEFAULT ''")
    # Per UID, what invites last said, shared by everyone (no personal data):
    # `sequence` rises when the time or place changes; `floor` is the lowest
    # SEQUENCE a first invite may carry, above every cancellation ever sent,
    # so a person erased and registered again is not taken as outdated.
    # `entry` is the event as last invited (JSON), to cancel it once removed.
    db.execute(
        """
        CREATE TABLE invite_versions (
            uid TEXT PRIMARY KEY,
            event TEXT NOT NULL,
            sequence INTEGER NOT NULL,
            significant TEXT NOT NULL,
            floor INTEGER NOT NULL DEFAULT 0,
            entry TEXT NOT NULL,
            removed INTEGER NOT NULL DEFAULT 0
        )
        """
    )
    # Invite files written by earlier versions may have been mailed by hand:
    # whatever innoff sends from now on starts at or above their SEQUENCE.
    db.execute(
        """
        INSERT INTO invite_versions (uid, event, sequence, significant, floor, entry)
        SELECT i.uid, c.event, c.sequence, '', max(i.sequence), '{}'
        FROM invites i JOIN calendar_state c ON c.uid = i.uid GROUP BY i.uid
        """
    )
    db.execute("DROP TABLE invites")
    # Every message innoff sends or has sent: one row per person, event and
    # message. The newest sent row of a person and UID is what they have; a
    # queued row is sent by the next `invites send` with the same Message-ID,
    # DTSTAMP and SEQUENCE. No foreign key to participants: an erased person
    # keeps only their address here (name emptied, erased = 1) until their
    # cancellation is sent, then every row of theirs goes.
    db.execute(
        """
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            email TEXT NOT NULL,
            address TEXT NOT NULL,
            name TEXT NOT NULL DEFAULT '',
            event TEXT NOT NULL,
            uid TEXT NOT NULL,
            method TEXT NOT NULL CHECK (method IN ('REQUEST', 'CANCEL')),
            change TEXT NOT NULL,
            sequence INTEGER NOT NULL,
            content TEXT NOT NULL,
            significant TEXT NOT NULL,
            message_id TEXT NOT NULL UNIQUE,
            stamp_utc TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('queued', 'sent', 'failed')),
            via TEXT NOT NULL DEFAULT '',
            reason TEXT NOT NULL DEFAULT '',
            done_utc TEXT,
            erased INTEGER NOT NULL DEFAULT 0
        )
        """
    )
    db.execute("CREATE INDEX outbox_person ON outbox(email, uid, id)")
    db.execute("CREATE INDEX outbox_state ON outbox(state, id)")


def m006_import_generation(db: Database) -> None:
    # A count of the changes to the programme and the participants (each import
    # that changes something, each edit, each erasure), and per file and
    # options the count when it was last read in full: the same file with the
    # same options, and nothing changed since, needs no second reading.
    db.execute(
        "CREATE TABLE generation (id INTEGER PRIMARY KEY CHECK (id = 1), value INTEGER NOT NULL)"
    )
    db.execute("INSERT INTO generation VALUES (1, 0)")
    db.execute(
        """
        CREATE TABLE import_checks (
            sha256 TEXT NOT NULL,
            options TEXT NOT NULL,
            generation INTEGER NOT NULL,
            checked_at TEXT NOT NULL,
            rows INTEGER NOT NULL,
            unchanged INTEGER NOT NULL,
            duplicates INTEGER NOT NULL,
            rejected INTEGER NOT NULL,
            PRIMARY KEY (sha256, options)
        ) WITHOUT ROWID
        """
    )


def m007_create_replies(db: Database) -> None:
    # Each person's answer per invite UID, as their calendar last sent it
    # (iTIP REPLY): the newest by (SEQUENCE, DTSTAMP). An answer to an older
    # SEQUENCE than the person was last sent stays, but counts as to be
    # confirmed again (calendars ask again after a change of time or place).
    # Erasure takes a person's answers with them (the foreign key).
    db.execute(
        """
        CREATE TABLE replies (
            email TEXT NOT NULL REFERENCES participants(email) ON DELETE CASCADE,
            uid TEXT NOT NULL,
            event TEXT NOT NULL,
            partstat TEXT NOT NULL
                CHECK (partstat IN ('ACCEPTED', 'TENTATIVE', 'DECLINED', 'DELEGATED')),
            delegated_to TEXT NOT NULL DEFAULT '',
            sequence INTEGER NOT NULL,
            dtstamp_utc TEXT,
            message_id TEXT NOT NULL,
            sent_utc TEXT,           -- the reply's Date header
            read_utc TEXT NOT NULL,
            PRIMARY KEY (email, uid)
        ) WITHOUT ROWID
        """
    )
    # Proposals of another time (iTIP COUNTER): listed, never applied.
    db.execute(
        """
        CREATE TABLE counters (
            email TEXT NOT NULL REFERENCES participants(email) ON DELETE CASCADE,
            uid TEXT NOT NULL,
            event TEXT NOT NULL,
            message_id TEXT NOT NULL,
            sequence INTEGER NOT NULL,
            dtstamp_utc TEXT,
            start TEXT NOT NULL,
            end TEXT NOT NULL,
            tzid TEXT NOT NULL DEFAULT '',
            comment TEXT NOT NULL DEFAULT '',
            read_utc TEXT NOT NULL,
            PRIMARY KEY (message_id, email, uid)
        ) WITHOUT ROWID
        """
    )
    # The Message-IDs already read that held an answer for someone invited:
    # reading them again changes nothing. (Message-IDs only: no names.)
    db.execute(
        """
        CREATE TABLE replies_read (
            message_id TEXT PRIMARY KEY,
            read_utc TEXT NOT NULL
        ) WITHOUT ROWID
        """
    )


def m008_participants_keyed_by_email(db: Database) -> None:
    # The table becomes its own index on e-mail (WITHOUT ROWID): a rowid table
    # with a TEXT primary key keeps a second B-tree of every address beside
    # the rows. One B-tree fewer to write per person: a file 10 % smaller and
    # a large import faster. Rebuilt the way SQLite's ALTER TABLE page says
    # (https://www.sqlite.org/lang_altertable.html#otheralter); open_db runs
    # the steps with foreign keys off and checks them before committing, so
    # dropping the old table cascades nowhere.
    db.execute(
        """
        CREATE TABLE participants_keyed (
            email TEXT PRIMARY KEY,           -- trimmed and folded to lower case: the key
            address TEXT NOT NULL DEFAULT '', -- as the person wrote it (domain in lower case)
            name TEXT NOT NULL DEFAULT '',
            organisation TEXT NOT NULL DEFAULT '',
            role TEXT NOT NULL DEFAULT '',
            municipality TEXT NOT NULL DEFAULT '',
            phone TEXT NOT NULL DEFAULT '',
            registered_utc TEXT,              -- ISO 8601 in UTC, so it sorts
            extra TEXT NOT NULL DEFAULT '{}'  -- JSON: the columns innoff does not know
        ) WITHOUT ROWID
        """
    )
    columns = "email, address, name, organisation, role, municipality, phone, registered_utc, extra"
    db.execute(f"INSERT INTO participants_keyed ({columns}) SELECT {columns} FROM participants")
    db.execute("DROP TABLE participants")
    db.execute("ALTER TABLE participants_keyed RENAME TO participants")


def m009_event_cancelled(db: Database) -> None:
    # An event can be called off and stay in the programme: the next `invites
    # send` cancels it for everyone who had it, and the public calendar shows it
    # as cancelled.
    db.execute("ALTER TABLE events ADD COLUMN cancelled INTEGER NOT NULL DEFAULT 0")


def m010_outbox_server_message_id(db: Database) -> None:
    # Exchange Online replaces the Message-ID of what it sends, keeping ours in
    # X-Microsoft-Original-Message-ID. Reading the Sent Items folder tells us the
    # one the recipients got, so `invites status` can show both.
    db.execute("ALTER TABLE outbox ADD COLUMN server_message_id TEXT")


def m011_create_mailings(db: Database) -> None:
    # Plain mail (not iTIP) sent once per person, event and occasion: a reminder
    # `--before 1d` (occasion '1d'), later a follow-up. Queued with its
    # Message-ID before it is sent, then sent or failed, as the outbox's rows;
    # the UNIQUE key is what makes a second run send nothing twice. Erasing a
    # person deletes their rows (no foreign key: a sent mail outlives a new
    # import of the same address, which must not get it again).
    db.execute(
        """
        CREATE TABLE mailings (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('reminder', 'followup')),
            occasion TEXT NOT NULL,
            event TEXT NOT NULL,
            email TEXT NOT NULL,
            address TEXT NOT NULL,
            name TEXT NOT NULL DEFAULT '',
            message_id TEXT NOT NULL UNIQUE,
            queued_utc TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('queued', 'sent', 'failed')),
            via TEXT NOT NULL DEFAULT '',
            reason TEXT NOT NULL DEFAULT '',
            done_utc TEXT,
            UNIQUE (kind, occasion, event, email)
        )
        """
    )


def m012_create_attendance(db: Database) -> None:
    # Who was there, per event, person and report (its sha256): importing the
    # same report again writes the same rows; two reports of one event (two
    # sessions, two platforms) add up. `registered` 0 is a walk-in. No foreign
    # key: a walk-in is no participant; erasure deletes by address.
    db.execute(
        """
        CREATE TABLE attendance (
            event TEXT NOT NULL,
            email TEXT NOT NULL,
            name TEXT NOT NULL DEFAULT '',
            minutes REAL,                 -- NULL: the report's time could not be read
            first_join_utc TEXT,
            last_leave_utc TEXT,
            attended INTEGER NOT NULL,    -- at least --min-minutes, or there with no time
            registered INTEGER NOT NULL,  -- 0: a walk-in
            source TEXT NOT NULL,         -- the report's file name
            sha256 TEXT NOT NULL,
            imported_utc TEXT NOT NULL,
            PRIMARY KEY (event, email, sha256)
        ) WITHOUT ROWID
        """
    )


def m013_participants_sort_key(db: Database) -> None:
    # The Norwegian order of names, computed once a name (collation.py) and kept
    # with an index, so `registrations list` is an index walk, not a sort that
    # calls Python for every comparison. Imports write it with each name.
    from innoff_cli.collation import norwegian_order

    db.execute("ALTER TABLE participants ADD COLUMN sort_key TEXT NOT NULL DEFAULT ''")
    conn = db.conn
    conn.create_function("norwegian_order", 1, norwegian_order, deterministic=True)
    conn.execute("UPDATE participants SET sort_key = norwegian_order(name)")
    conn.execute(
        "CREATE INDEX participants_by_name ON participants"
        " (sort_key, coalesce(nullif(address, ''), email))"
    )


def m014_attendance_by_person(db: Database) -> None:
    # A person's attendance by their address: `registrations list` asks for it
    # once per person, and the table's key begins with the event, so without
    # this each asking read the whole table (people times report rows).
    db.execute("CREATE INDEX attendance_person ON attendance(email, event)")


def m015_outbox_sent_sequence(db: Database) -> None:
    # What a person was last sent of an invite (the highest SEQUENCE among their
    # sent rows) decides whether their answer is current; `registrations list`
    # and `stats` ask it for every answer. With the state and SEQUENCE in the
    # index, the index answers alone: no look-up of each row in the table
    # (a quarter less time for `stats` of 100,000 people with answers).
    db.execute("CREATE INDEX outbox_sent ON outbox(email, uid, state, sequence)")


MIGRATIONS = [
    m001_create_programme,
    m002_create_registrations,
    m003_create_calendar_state,
    m004_drop_registrations_event_index,
    m005_create_outbox,
    m006_import_generation,
    m007_create_replies,
    m008_participants_keyed_by_email,
    m009_event_cancelled,
    m010_outbox_server_message_id,
    m011_create_mailings,
    m012_create_attendance,
    m013_participants_sort_key,
    m014_attendance_by_person,
    m015_outbox_sent_sequence,
]
MIGRATION_NAMES = [step.__name__ for step in MIGRATIONS]


def apply(db: Database) -> list[str]:
    """Apply pending steps, each in its own transaction; return the names applied."""
    from sqlite_utils.migrations import Migrations

    migrations = Migrations(MIGRATION_SET)
    for step in MIGRATIONS:
        migrations()(step)
    pending = [migration.name for migration in migrations.pending(db)]
    migrations.apply(db)
    return pending
