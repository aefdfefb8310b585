"""A token gate for the dashboard: only whoever holds the printed URL gets in.

Every user of a shared login node can reach 127.0.0.1, and optuna-dashboard can write (notes,
deleting studies). As Jupyter does, the URL carries a random token; the first request with
``?token=...`` sets an HttpOnly cookie, and any request with neither is refused with 403.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Iterable
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
App = Callable[[Environ, StartResponse], Iterable[bytes]]

REFUSED = b"403 Forbidden: open the dashboard with the URL (and its ?token=) that it printed\n"


def new_token() -> str:
    """A fresh random token (256 bits)."""
    return secrets.token_urlsafe(32)


class TokenGate:
    """WSGI middleware that lets through only requests that carry ``token``."""

    def __init__(self, app: App, token: str, cookie: str = "sweeps_dashboard") -> None:
        self.app, self.token, self.cookie = app, token, cookie

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        if self._matches(self._cookie_token(environ)):
            return self.app(environ, start_response)
        if self._matches(self._query_token(environ)):
            return self.app(environ, self._setting_cookie(start_response))
        start_response(
            "403 Forbidden",
            [("Content-Type", "text/plain"), ("Content-Length", str(len(REFUSED)))],
        )
        return [REFUSED]

    def _matches(self, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(given.encode(), self.token.encode())

    def _cookie_token(self, environ: Environ) -> str | None:
        cookies: SimpleCookie = SimpleCookie()
        try:
            cookies.load(environ.get("HTTP_COOKIE", ""))
        except Exception:  # a malformed Cookie header is simply no token
            return None
        morsel = cookies.get(self.cookie)
        return morsel.value if morsel is not None else None

    @staticmethod
    def _query_token(environ: Environ) -> str | None:
        values = parse_qs(environ.get("QUERY_STRING", "")).get("token")
        return values[0] if values else None

    def _setting_cookie(self, start_response: StartResponse) -> StartResponse:
        cookie = f"{self.cookie}={self.token}; Path=/; HttpOnly; SameSite=Strict"

        def start(status: str, headers: list[tuple[str, str]], *exc: Any) -> Any:
            return start_response(status, [*headers, ("Set-Cookie", cookie)], *exc)

        return start
