"""OAuth2 authorization-code grant (RFC 6749) with authlib's server components on aiohttp."""

from __future__ import annotations

from collections import defaultdict
import html
import logging
import secrets
from typing import Any, cast

from aiohttp import web
from authlib.oauth2.rfc6749 import (  # type: ignore[import-untyped]
    AuthorizationCodeGrant,
    AuthorizationCodeMixin,
    AuthorizationServer,
    ClientMixin,
    InvalidClientError,
    InvalidGrantError,
    OAuth2Error,
    OAuth2Payload,
    OAuth2Request,
)
from multidict import MultiDict, MultiMapping

from .core import Simulator, parse_basic
from .errors import ApiError
from .keys import form_body
from .state import AuthCode, Client, Token

_LOGGER = logging.getLogger(__name__)
SCOPE = "accesslink.read_all"
type Triple = tuple[int, Any, list[tuple[str, str]]]


class SimClient(ClientMixin):  # type: ignore[misc]
    """authlib's view of a simulated partner client."""

    def __init__(self, client: Client) -> None:
        """Wrap a client record."""
        self.client = client

    def get_client_id(self) -> str:
        """Return the client id."""
        return self.client.client_id

    def get_default_redirect_uri(self) -> str | None:
        """Return the first registered redirect URL (used when none is sent)."""
        return self.client.redirect_uris[0] if self.client.redirect_uris else None

    def get_allowed_scope(self, scope: str | None) -> str:
        """Return the granted scope: AccessLink has exactly one."""
        return SCOPE

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        """Accept only exactly registered URLs."""
        return redirect_uri in self.client.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        """Compare the secret in constant time."""
        return secrets.compare_digest(self.client.client_secret, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        """Allow client_secret_basic only."""
        return method == "client_secret_basic"

    def check_response_type(self, response_type: str) -> bool:
        """Allow the code flow only."""
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        """Allow the authorization-code grant only (no refresh tokens)."""
        return grant_type == "authorization_code"


class SimCode(AuthorizationCodeMixin):  # type: ignore[misc]
    """authlib's view of a stored authorization code."""

    def __init__(self, code: AuthCode) -> None:
        """Wrap a code record."""
        self.code = code

    def get_redirect_uri(self) -> str | None:
        """Return the redirect_uri sent to the authorize endpoint (None if none was sent)."""
        return self.code.redirect_uri

    def get_scope(self) -> str:
        """Return the granted scope."""
        return self.code.scope


class Payload(OAuth2Payload):  # type: ignore[misc]
    """Query or form parameters of one request."""

    def __init__(self, params: MultiDict[str]) -> None:
        """Keep the parameters."""
        self._params = params
        self._data = {k: params[k] for k in params}
        lists: defaultdict[str, list[str]] = defaultdict(list)
        for key, value in params.items():
            lists[key].append(value)
        self._lists = lists

    @property
    def data(self) -> dict[str, str]:
        """Return the first value of each parameter."""
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        """Return every value of each parameter."""
        return self._lists


class Request(OAuth2Request):  # type: ignore[misc]
    """An aiohttp request as authlib sees it (parameters read beforehand)."""

    def __init__(self, request: web.Request, params: MultiDict[str]) -> None:
        """Adapt the request; authlib only checks the URI for https, which is not simulated."""
        super().__init__(
            method=request.method,
            uri=f"https://localhost{request.rel_url}",
            headers=dict(request.headers),
        )
        self.payload = Payload(params)
        self._args = MultiDict(request.query)
        self._form = params if request.method == "POST" else MultiDict[str]()

    @property
    def args(self) -> MultiDict[str]:
        """Return the query parameters."""
        return self._args

    @property
    def form(self) -> MultiDict[str]:
        """Return the form parameters."""
        return self._form


class CodeGrant(AuthorizationCodeGrant):  # type: ignore[misc]
    """The code grant with Polar's rules: Basic auth, single-use codes, strict redirect_uri."""

    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic"]  # noqa: RUF012

    @property
    def sim(self) -> Simulator:
        """Return the simulator."""
        return cast("SimAuthorizationServer", self.server).sim

    def save_authorization_code(self, code: str, request: Request) -> None:
        """Store a new code for the signed-in user."""
        now = self.sim.clock.now()
        self.sim.state.codes[code] = AuthCode(
            code=code,
            client_id=request.client.get_client_id(),
            user_id=request.user.user_id,
            redirect_uri=request.payload.redirect_uri,
            scope=request.scope or SCOPE,
            issued_at=now,
            expires_at=now + self.sim.config.code_lifetime,
        )
        self.sim.mark_dirty()

    def query_authorization_code(self, code: str, client: SimClient) -> SimCode | None:
        """Find an unused, unexpired code of this client; reuse revokes its tokens."""
        stored = self.sim.state.codes.get(code)
        if stored is None or stored.client_id != client.get_client_id():
            return None
        if stored.used:
            revoked = self.sim.revoke_tokens(code=code)
            _LOGGER.info("Authorization code reused: revoked %s token(s)", revoked)
            return None
        if stored.expires_at <= self.sim.clock.now():
            return None
        return SimCode(stored)

    def delete_authorization_code(self, authorization_code: SimCode) -> None:
        """Mark a code used (kept so that reuse can be detected)."""
        authorization_code.code.used = True
        self.sim.mark_dirty()

    def authenticate_user(self, authorization_code: SimCode) -> Any:
        """Return the user the code was issued to."""
        return self.sim.state.users.get(authorization_code.code.user_id)

    def validate_token_request(self) -> None:
        """Also reject a redirect_uri that was not sent to the authorize endpoint."""
        super().validate_token_request()
        code: SimCode = self.request.authorization_code
        if code.get_redirect_uri() is None and self.request.payload.redirect_uri is not None:
            raise InvalidGrantError("'redirect_uri' was not part of the authorization request.")


class SimAuthorizationServer(AuthorizationServer):  # type: ignore[misc]
    """authlib's AuthorizationServer backed by the simulator state."""

    def __init__(self, sim: Simulator) -> None:
        """Register the code grant and Polar's token shape."""
        super().__init__(scopes_supported=[SCOPE])
        self.sim = sim
        self.register_grant(CodeGrant)
        self.register_token_generator("default", self._generate_token)

    def query_client(self, client_id: str) -> SimClient | None:
        """Look up a client."""
        client = self.sim.state.clients.get(client_id)
        return SimClient(client) if client else None

    def _generate_token(self, **kwargs: Any) -> dict[str, Any]:
        """Return Polar's token response: no refresh token, x_user_id."""
        return {
            "access_token": secrets.token_urlsafe(32),
            "token_type": "bearer",
            "expires_in": self.sim.config.token_expires_in,
            "x_user_id": kwargs["user"].user_id,
        }

    def save_token(self, token: dict[str, Any], request: Request) -> None:
        """Store an issued token."""
        now = self.sim.clock.now()
        self.sim.state.tokens[token["access_token"]] = Token(
            access_token=token["access_token"],
            client_id=request.client.get_client_id(),
            user_id=request.user.user_id,
            issued_at=now,
            expires_at=now + int(token["expires_in"]),
            code=request.authorization_code.code.code,
        )
        self.sim.mark_dirty()

    def create_oauth2_request(self, request: Request) -> Request:
        """Return the request as is: it was adapted before reaching authlib."""
        return request

    def handle_response(self, status: int, body: Any, headers: list[tuple[str, str]]) -> Triple:
        """Return the raw triple; handlers turn it into an aiohttp response."""
        return status, body, headers

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        """Signals are not used."""


def to_response(triple: Triple) -> web.Response:
    """Turn authlib's (status, body, headers) into an aiohttp response."""
    status, body, headers = triple
    hdrs = {k: v for k, v in headers if k.lower() != "content-type"}
    if isinstance(body, dict):
        return web.json_response(body, status=status, headers=hdrs)
    return web.Response(status=status, text=str(body or ""), headers=hdrs)


def _str_params(params: MultiMapping[Any]) -> MultiDict[str]:
    """Keep only text parameters (no uploaded files)."""
    return MultiDict((k, v) for k, v in params.items() if isinstance(v, str))


def _error_page(status: int, title: str, detail: str) -> web.Response:
    """Return a small HTML error page (errors that must not redirect)."""
    text = (
        f"<!doctype html><title>{html.escape(title)}</title>"
        f"<h1>{html.escape(title)}</h1><p>{html.escape(detail)}</p>"
    )
    return web.Response(status=status, text=text, content_type="text/html")


def _consent_page(
    sim: Simulator, client: Client, params: MultiDict[str], user_id: int
) -> web.Response:
    """Return the approve/deny page."""
    hidden = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
        for k, v in params.items()
        if k != "user"
    )
    options = "".join(
        f'<option value="{u.user_id}"{" selected" if u.user_id == user_id else ""}>'
        f"{html.escape(u.first_name)} {html.escape(u.last_name)} ({u.user_id})</option>"
        for u in sim.state.users.values()
    )
    text = (
        "<!doctype html><html><head><meta charset='utf-8'><title>Polar Flow (simulated)</title>"
        "<style>body{font-family:sans-serif;max-width:32em;margin:3em auto}"
        "button{font-size:1.1em;margin-right:1em}</style></head><body>"
        "<h1>Polar Flow (simulated)</h1>"
        f"<p><b>{html.escape(client.name or client.client_id)}</b> wants to read your "
        f"training data (<code>{SCOPE}</code>).</p>"
        '<form method="post" action="/oauth2/authorization">'
        f'{hidden}<p><label>Signed in as <select name="user">{options}</select></label></p>'
        '<button type="submit" name="decision" value="approve" id="approve">Approve</button>'
        '<button type="submit" name="decision" value="deny" id="deny">Deny</button>'
        "</form></body></html>"
    )
    return web.Response(text=text, content_type="text/html")


async def authorize(request: web.Request) -> web.StreamResponse:
    """GET shows the consent page (or approves automatically); POST carries the decision."""
    sim: Simulator = request.app[SIM_SERVER_KEY].sim
    server = request.app[SIM_SERVER_KEY]
    decision: str | None = None
    if request.method == "POST":
        form = await form_body(request)
        decision = form.popone("decision", None)
        params = form
    else:
        params = _str_params(request.query)
    user = sim.signing_user(params.get("user"))
    oauth_params = MultiDict((k, v) for k, v in params.items() if k != "user")
    oreq = Request(request, oauth_params)
    try:
        grant = server.get_consent_grant(oreq, end_user=user)
    except OAuth2Error as err:
        status, body, headers = server.handle_error_response(oreq, err)
        if status == 302:
            return to_response((status, body, headers))
        return _error_page(400, "Invalid authorization request", f"{err.error}: {err.description}")
    except ValueError as err:
        return _error_page(400, "Invalid authorization request", str(err))
    client = sim.client(oauth_params["client_id"])
    if decision is None and not sim.auto_approves(client):
        return _consent_page(sim, client, params, user.user_id)
    grant_user = user if decision in {None, "approve"} else None
    triple = server.create_authorization_response(oreq, grant_user=grant_user, grant=grant)
    return to_response(triple)


async def token(request: web.Request) -> web.Response:
    """Serve the token endpoint: authorization_code grant, client_secret_basic."""
    server = request.app[SIM_SERVER_KEY]
    auth = request.headers.get("Authorization")
    if auth is not None and parse_basic(auth) == (None, None):
        return to_response(server.handle_error_response(None, InvalidClientError(status_code=401)))
    form = await form_body(request)
    oreq = Request(request, form)
    try:
        triple = server.create_token_response(oreq)
    except ValueError as err:
        raise ApiError(400, f"invalid_request: {err}") from err
    return to_response(triple)


SIM_SERVER_KEY = web.AppKey("oauth_server", SimAuthorizationServer)


def setup_oauth(app: web.Application, sim: Simulator) -> None:
    """Add the authorize and token routes."""
    app[SIM_SERVER_KEY] = SimAuthorizationServer(sim)
    app.router.add_get("/oauth2/authorization", authorize)
    app.router.add_post("/oauth2/authorization", authorize)
    app.router.add_post("/v2/oauth2/token", token)
