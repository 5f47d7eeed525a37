"""A sign-in provider on 127.0.0.1 over TLS, for the tests of `innoff mail login`.

It speaks what Microsoft's and Google's token endpoints speak, enough for the
real msal and google-auth-oauthlib code: OpenID discovery, the device code
flow (RFC 8628: `authorization_pending` a given number of times, then tokens),
the authorization code flow with PKCE (RFC 7636, S256 checked), and the
refresh grant. Its certificate comes from a CA made by trustme; the clients
trust it through REQUESTS_CA_BUNDLE (`env()`), as a company proxy's CA is trusted.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import trustme

CLIENT_ID = "11111111-2222-3333-4444-555555555555"
TENANT = "innoff.no"
USER = "post@innoff.no"


def _jwt(claims: dict) -> str:
    """An unsigned JWT (the clients read an ID token's claims; they got it over TLS)."""

    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


class Provider:
    def __init__(self, folder: Path, pending: int = 2):
        self.pending = pending  # authorization_pending answers before the tokens
        self.polls = 0
        self.codes: dict[str, str] = {}  # authorization code -> PKCE challenge
        self.refresh_tokens: set[str] = set()
        self.access_tokens: list[str] = []  # every access token handed out, in order
        self.grants: list[str] = []  # every grant_type asked for
        self.requests: list[str] = []  # every path asked for
        ca = trustme.CA()
        self.ca_file = folder / "ca.pem"
        ca.cert_pem.write_to_path(str(self.ca_file))
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1").configure_cert(context)
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                provider.requests.append(self.path)
                provider.get(self)

            def do_POST(self) -> None:
                provider.requests.append(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                provider.post(self, form)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.server.timeout = 0.2
        self.base = f"https://127.0.0.1:{self.server.server_address[1]}"
        self.authority = f"{self.base}/{TENANT}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.1,), daemon=True)

    def __enter__(self) -> Provider:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

    def env(self) -> dict[str, str]:
        return {"REQUESTS_CA_BUNDLE": str(self.ca_file)}

    def google_client_file(self, folder: Path) -> Path:
        """The JSON Google Cloud gives for a desktop client, pointing here."""
        path = folder / "client_secret.json"
        path.write_text(json.dumps({"installed": {
            "client_id": "innoff-test.apps.googleusercontent.com",
            "client_secret": "GOCSPX-test-client-secret",
            "auth_uri": f"{self.base}/o/oauth2/auth", "token_uri": f"{self.base}/token",
            "redirect_uris": ["http://localhost"],
        }}), encoding="utf-8")  # fmt: skip
        return path

    # -- the endpoints --------------------------------------------------------------

    @staticmethod
    def _answer(handler, status: int, body: dict | None = None, headers: dict | None = None):
        data = json.dumps(body or {}).encode()
        handler.send_response(status)
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def get(self, handler) -> None:
        url = urlsplit(handler.path)
        if url.path.endswith("/.well-known/openid-configuration"):
            base = f"{self.authority}/oauth2/v2.0"
            self._answer(handler, 200, {
                "issuer": f"{self.authority}/v2.0",
                "authorization_endpoint": f"{base}/authorize",
                "token_endpoint": f"{base}/token",
                "device_authorization_endpoint": f"{base}/devicecode",
            })  # fmt: skip
        elif url.path == "/o/oauth2/auth":  # the browser at Google's consent page
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            assert query["code_challenge_method"] == "S256"
            code = secrets.token_urlsafe(16)
            self.codes[code] = query["code_challenge"]
            back = f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}"
            self._answer(handler, 302, headers={"Location": back})
        else:
            self._answer(handler, 404, {"error": "not_found"})

    def post(self, handler, form: dict[str, str]) -> None:
        path = urlsplit(handler.path).path
        if path.endswith("/devicecode"):
            self._answer(handler, 200, {
                "device_code": "device-123", "user_code": "INNOFF42",
                "verification_uri": "https://microsoft.com/devicelogin",
                "expires_in": 60, "interval": 1,
                "message": "To sign in, use a web browser to open the page"
                " https://microsoft.com/devicelogin and enter the code INNOFF42 to authenticate.",
            })  # fmt: skip
            return
        grant = form.get("grant_type", "")
        self.grants.append(grant)
        if grant == "urn:ietf:params:oauth:grant-type:device_code":
            self.polls += 1
            if self.polls <= self.pending:
                self._answer(handler, 400, {"error": "authorization_pending"})
                return
            self._answer(handler, 200, self._tokens(form, microsoft=True))
        elif grant == "authorization_code":
            challenge = self.codes.pop(form.get("code", ""), None)
            verifier = form.get("code_verifier", "")
            digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            if challenge is None or digest.rstrip(b"=").decode() != challenge:
                self._answer(handler, 400, {"error": "invalid_grant"})
                return
            self._answer(handler, 200, self._tokens(form, microsoft=False))
        elif grant == "refresh_token":
            if form.get("refresh_token") not in self.refresh_tokens:
                self._answer(handler, 400, {"error": "invalid_grant"})
                return
            self._answer(
                handler,
                200,
                self._tokens(form, microsoft="scope" in form and "outlook" in form["scope"]),
            )
        else:
            self._answer(handler, 400, {"error": "unsupported_grant_type"})

    def _tokens(self, form: dict[str, str], microsoft: bool) -> dict:
        access, refresh = f"ya29.{secrets.token_urlsafe(12)}", f"1//{secrets.token_urlsafe(12)}"
        self.access_tokens.append(access)
        self.refresh_tokens.add(refresh)
        now = int(time.time())
        claims = {
            "aud": form.get("client_id", CLIENT_ID), "iat": now, "exp": now + 3600,
            "iss": f"{self.authority}/v2.0" if microsoft else "https://accounts.google.com",
            "sub": "someone", "tid": "tenant-id", "oid": "object-id",
            "preferred_username": USER, "email": USER,
        }  # fmt: skip
        scope = (
            form.get("scope")
            or "https://mail.google.com/ openid https://www.googleapis.com/auth/userinfo.email"
        )
        return {
            "token_type": "Bearer", "access_token": access, "refresh_token": refresh,
            "expires_in": 3600, "scope": scope, "id_token": _jwt(claims),
            "client_info": base64.urlsafe_b64encode(
                json.dumps({"uid": "object-id", "utid": "tenant-id"}).encode()
            ).decode().rstrip("="),
        }  # fmt: skip


class Tokens:
    """What a test mail server takes: the access token `provider` handed out last."""

    def __init__(self, provider: Provider):
        self.provider = provider

    def __contains__(self, token: str) -> bool:
        return token in self.provider.access_tokens[-1:]
