"""innoff's settings file: the mail settings an organiser would otherwise type
(or export) again in every new terminal.

A TOML file in the user's config folder, the folder the database defaults to
(`innoff config path` shows it; INNOFF_CONFIG points elsewhere). It holds only
settings that are not secrets: a password or a token is never written here
(passwords come from the environment or a prompt, tokens from a command or
`innoff mail login`, which keeps them in the keyring). A value applies when no
option and no environment variable gives one: option, environment, this file,
default.

The file is read strictly: a key innoff does not know, a value of the wrong
kind or a secret is an error that names the file, not a setting silently left
out.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from innoff_cli.errors import InnoffError
from innoff_cli.i18n import _


@dataclass(frozen=True)
class Setting:
    key: str  # section.name
    help: str
    choices: tuple[str, ...] = ()
    number: tuple[int, int] | None = None  # (lowest, highest) for a whole number
    option: str | None = None  # the command-line option it stands in for
    variable: str | None = None  # the environment variable it stands in for
    default: str = ""  # what applies when nothing gives a value, as said to a user
    set_by: str | None = None  # the command that writes it, when `config set` does not

    def parse(self, text: str) -> str | int:
        """The value `text` gives this setting; InnoffError when it cannot be one."""
        text = text.strip()
        if self.number is not None:
            low, high = self.number
            if not text.isdecimal() or not low <= int(text) <= high:
                raise InnoffError(
                    _("{key} takes a whole number {low}-{high}, not {text!r}").format(
                        key=self.key, low=low, high=high, text=text
                    )
                )
            return int(text)
        if self.choices and text not in self.choices:
            raise InnoffError(
                _("{key} is one of {value}, not {text!r}").format(
                    key=self.key, value=", ".join(self.choices), text=text
                )
            )
        if not text or any(ord(c) < 32 or ord(c) == 127 for c in text):
            raise InnoffError(_("{key} takes one line of text").format(key=self.key))
        return text


SETTINGS: dict[str, Setting] = {
    s.key: s
    for s in (
        Setting("smtp.host", "SMTP server", option="--smtp-host", variable="INNOFF_SMTP_HOST"),
        Setting(
            "smtp.port",
            "SMTP port",
            number=(1, 65535),
            option="--smtp-port",
            variable="INNOFF_SMTP_PORT",
            default="587 (465 for ssl, 25 for none)",
        ),  # fmt: skip
        Setting(
            "smtp.security",
            "how the connection is protected",
            ("starttls", "ssl", "none"),
            option="--smtp-security",
            variable="INNOFF_SMTP_SECURITY",
            default="starttls",
        ),  # fmt: skip
        Setting("smtp.user", "SMTP login", option="--smtp-user", variable="INNOFF_SMTP_USER"),
        Setting(
            "smtp.auth",
            "how innoff signs in to send",
            ("password", "xoauth2", "oauthbearer"),
            option="--smtp-auth",
            variable="INNOFF_SMTP_AUTH",
            default="password with a user, else none",
        ),  # fmt: skip
        Setting(
            "smtp.token-command",
            "a command that prints an access token for sending",
            variable="INNOFF_SMTP_TOKEN_CMD",
            default="the stored login (innoff mail login)",
        ),  # fmt: skip
        Setting("smtp.from", "From header of invites", option="--from", default="the organiser"),
        Setting(
            "smtp.rate",
            "messages a minute (0: no limit)",
            number=(0, 100000),
            option="--rate",
            default="30",
        ),  # fmt: skip
        Setting(
            "imap.auth",
            "how innoff signs in to read replies",
            ("password", "xoauth2", "oauthbearer"),
            variable="INNOFF_IMAP_AUTH",
            default="password",
        ),  # fmt: skip
        Setting(
            "imap.token-command",
            "a command that prints an access token for reading",
            variable="INNOFF_IMAP_TOKEN_CMD",
            default="the stored login (innoff mail login)",
        ),  # fmt: skip
        Setting(
            "login.provider",
            "the mail provider signed in to",
            ("microsoft", "google"),
            set_by="innoff mail login",
        ),  # fmt: skip
        Setting("login.user", "the account signed in", set_by="innoff mail login"),
        Setting("login.client-id", "the app registration used", set_by="innoff mail login"),
        Setting("login.authority", "where tokens come from", set_by="innoff mail login"),
    )
}
# Words that mark a secret: refused as keys, so nobody keeps one here by habit.
SECRET_WORDS = ("password", "passwd", "secret", "token")
# The `invites send` parameters the file stands in for (Click's default_map).
SEND_PARAMETERS = {
    "smtp.host": "smtp_host",
    "smtp.port": "smtp_port",
    "smtp.security": "smtp_security",
    "smtp.user": "smtp_user",
    "smtp.auth": "smtp_auth",
    "smtp.from": "sender",
    "smtp.rate": "rate",
}


def setting(key: str) -> Setting:
    """The setting named `key`; InnoffError naming what is known when there is none."""
    found = SETTINGS.get(key)
    if found is not None:
        return found
    if any(word in key.lower() for word in SECRET_WORDS if not key.endswith("token-command")):
        raise InnoffError(
            _(
                "innoff keeps no passwords or tokens in its settings ({key}) - a password comes from INNOFF_SMTP_PASSWORD/INNOFF_IMAP_PASSWORD or a prompt, a token from a token command or `innoff mail login`"
            ).format(key=key)
        )
    import difflib

    close = difflib.get_close_matches(key, SETTINGS, n=1)
    hint = f"did you mean {close[0]}?" if close else f"innoff knows {', '.join(SETTINGS)}"
    raise InnoffError(_("no setting {key!r} - {hint}").format(key=key, hint=hint))


def load(path: Path) -> dict[str, str | int]:
    """The settings in the file at `path` by key ({} when there is no file)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as error:
        raise InnoffError(
            _("cannot read {path} ({strerror}) - check the file").format(
                path=path, strerror=error.strerror
            )
        ) from None
    try:
        document = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise InnoffError(
            _("{path} is not a TOML file ({error}) - fix or remove it").format(
                path=path, error=error
            )
        ) from None
    values: dict[str, str | int] = {}
    for section, table in document.items():
        if not isinstance(table, dict):
            raise InnoffError(
                _("{path}: {section} is not a [section] - fix or remove it").format(
                    path=path, section=section
                )
            )
        for name, value in table.items():
            key = f"{section}.{name}"
            try:
                known = setting(key)
                if isinstance(value, bool) or not isinstance(value, str | int):
                    raise InnoffError(_("{key} takes text or a number").format(key=key))
                values[key] = known.parse(str(value))
            except InnoffError as error:
                raise InnoffError(_("{path}: {error}").format(path=path, error=error)) from None
    return values


def render(values: dict[str, str | int]) -> str:
    """The TOML text of `values`: one [section] each, keys in the order innoff knows them."""
    lines = ["# innoff's settings: `innoff config list` shows them; no passwords or tokens."]
    section = None
    for key in SETTINGS:
        if key not in values:
            continue
        head, name = key.split(".", 1)
        if head != section:
            lines += ["", f"[{head}]"]
            section = head
        value = values[key]
        # A JSON string is a TOML basic string once DEL is escaped too.
        text = (
            str(value) if isinstance(value, int) else json.dumps(value).replace("\x7f", "\\u007f")
        )
        lines.append(f"{name} = {text}")
    return "\n".join(lines) + "\n"


def save(path: Path, values: dict[str, str | int]) -> None:
    """Write the file whole (0600: it names people's accounts), its folder 0700 if new."""
    from innoff_cli import files

    text = render(values)
    tomllib.loads(text)  # what we write, we can read: a bug here raises before any write
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as error:
        raise InnoffError(
            _(
                "cannot make {parent} ({strerror}) - set INNOFF_CONFIG to a file you can write"
            ).format(parent=path.parent, strerror=error.strerror)
        ) from None
    with files.written_whole(path) as stream:
        stream.write(text)


def send_defaults(values: dict[str, str | int]) -> dict[str, str | int]:
    """`invites send`'s defaults from the file (what Click's default_map takes)."""
    return {SEND_PARAMETERS[key]: value for key, value in values.items() if key in SEND_PARAMETERS}


def first(environ: Mapping[str, str], values: dict[str, str | int], key: str) -> str | None:
    """A setting that has no option: its environment variable, else the file."""
    variable = SETTINGS[key].variable
    given = environ.get(variable) if variable else None
    if given:
        return given
    value = values.get(key)
    return None if value is None else str(value)
