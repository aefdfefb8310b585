"""Secrets in storage URLs: references only, resolved in the process that connects.

A sweep file may name a password (in the URL's userinfo or a secret query key such as
``?password=``) as ``${ENV_VAR}`` or ``${file:PATH}`` (a one-line password file, or a
``~/.pgpass``-style file of ``host:port:database:user:password`` lines), never as a literal.
Other parts of the URL (or the whole URL) may reference environment variables too.
The unexpanded setting is what travels in pickles and is stored in the study; only
:func:`expand_url` sees the secret, and only to hand it to the database driver.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from sweeps.storage.urls import is_secret_query_key, query_pairs

_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_FILE = re.compile(r"^\$\{file:(.+)\}$")
_WHOLE_REFERENCE = re.compile(r"^\$\{[^}]+\}$")


class CredentialError(ValueError):
    """A storage secret is missing, unreadable, or written where it must not be."""


def literal_password_problem(url: str) -> str | None:
    """Why ``url`` may not stand in a sweep file (a literal password), else None."""
    if "://" not in url:
        return None
    try:
        parsed = make_url(url)
    except Exception:
        return None
    places = [] if parsed.password is None else [("the user part", str(parsed.password))]
    places += [(f"query key {k!r}", v) for k, v in query_pairs(parsed) if is_secret_query_key(k)]
    literal = [place for place, secret in places if not _WHOLE_REFERENCE.match(secret)]
    if not literal:
        return None
    return (
        f"holds a literal password ({', '.join(literal)}); sweep files are copied, pickled "
        "and shared, so reference it instead: ${PGPASSWORD} (an environment variable) "
        "or ${file:~/.pgpass} (a file readable only by you)"
    )


def expand_url(url: str) -> str:
    """``url`` with its references resolved: the string handed to the driver, never shown."""
    url = _expand_env(url, whole=True)
    if "://" not in url:
        return url
    parsed = make_url(url)
    password = None if parsed.password is None else str(parsed.password)
    if password is not None:
        parsed = parsed.set(password=_resolve_password(password, parsed))
    secrets = {
        key: _resolve_password(value, parsed)
        for key, value in query_pairs(parsed)
        if is_secret_query_key(key)
    }
    if secrets:
        parsed = parsed.update_query_dict(secrets)
    return parsed.render_as_string(hide_password=False)


def _expand_env(text: str, whole: bool = False) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in os.environ:
            raise CredentialError(
                f"the storage setting references ${{{name}}}, which is not set in this "
                "process's environment (export it where the sweep and its trial jobs run)"
            )
        return os.environ[name]

    if whole and _WHOLE_REFERENCE.match(text) and not text.startswith("${file:"):
        return _ENV.sub(value, text)
    if "://" not in text:
        return text
    scheme, rest = text.split("://", 1)
    rest, sep_query, query = rest.partition("?")
    if "@" in rest:  # leave the password part for _resolve_password
        userinfo, hostpart = rest.rsplit("@", 1)
        user, sep, password = userinfo.partition(":")
        rest = f"{_ENV.sub(value, user)}{sep}{password}@{_ENV.sub(value, hostpart)}"
    else:
        rest = _ENV.sub(value, rest)
    pairs = [pair.partition("=") for pair in query.split("&")] if query else []
    query = "&".join(  # secret values too are left for _resolve_password
        f"{key}{eq}{val if is_secret_query_key(key) else _ENV.sub(value, val)}"
        for key, eq, val in pairs
    )
    return f"{scheme}://{rest}{sep_query}{query}"


def _resolve_password(password: str, url: URL) -> str:
    file_ref = _FILE.match(password)
    if file_ref:
        return read_password_file(Path(file_ref.group(1)).expanduser(), url)
    env_ref = _ENV.fullmatch(password)
    if env_ref:
        return _expand_env_value(env_ref.group(1))
    return password  # a literal reached us from the environment (the whole URL): allowed


def _expand_env_value(name: str) -> str:
    if name not in os.environ:
        raise CredentialError(
            f"the storage password references ${{{name}}}, which is not set in this "
            "process's environment (export it where the sweep and its trial jobs run)"
        )
    return os.environ[name]


def read_password_file(path: Path, url: URL | None = None) -> str:
    """The password in ``path``: a pgpass-style line matching ``url``, else the first line.

    A file that group or others may read is refused, as libpq does for ``~/.pgpass``.
    """
    try:
        info = path.stat()
    except OSError as err:
        raise CredentialError(f"password file {path}: {err.strerror}") from None
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise CredentialError(
            f"password file {path} is readable by group or others "
            f"(mode {stat.S_IMODE(info.st_mode):04o}); run: chmod 600 {path}"
        )
    lines = [ln for ln in path.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    entries = [_pgpass_fields(ln) for ln in lines]
    if entries and all(len(e) == 5 for e in entries):
        for host, port, database, user, secret in entries:
            if url is None or _pgpass_matches((host, port, database, user), url):
                return secret
        raise CredentialError(
            f"password file {path} has no line for host {url.host if url else '?'} "
            f"user {url.username if url else '?'} database {url.database if url else '?'}"
        )
    if not lines:
        raise CredentialError(f"password file {path} is empty")
    return lines[0].strip()


def _pgpass_fields(line: str) -> list[str]:
    fields, current, escaped = [], "", False
    for char in line:
        if escaped:
            current, escaped = current + char, False
        elif char == "\\":
            escaped = True
        elif char == ":":
            fields.append(current)
            current = ""
        else:
            current += char
    fields.append(current)
    return fields


def _pgpass_matches(pattern: tuple[str, str, str, str], url: URL) -> bool:
    wanted = (url.host or "localhost", str(url.port or ""), url.database or "", url.username or "")
    for field, value in zip(pattern, wanted, strict=True):
        if field != "*" and value and field != value:
            return False
    return True
