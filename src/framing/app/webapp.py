"""The labelling web app: one HTML page and a small JSON API over a team of sessions or one session.

``create_app`` builds the Starlette app over a :class:`~framing.app.team.Team`
(labelling, one session per annotator) or a single
:class:`~framing.app.session.Session` (e.g. a review); ``bind`` takes the
port and ``serve`` runs the app with uvicorn on 127.0.0.1 by default. On any
other address every request needs the token printed in the URL. Every
decision is on disk before its request returns 200.

API (JSON in, JSON out; errors as ``{"error": message}`` with a 4xx status).
Labelling requests name the annotator (query ``annotator=`` or field
``"annotator"``); writes name the unit and the ``revision`` the page showed,
and a write on a stale page (another tab decided meanwhile) is a 409::

    GET  /api/annotators  mode, known annotator names, the overlap
    GET  /api/state       the current unit (its revision, current decision), progress, what undo would undo
    GET  /api/codebook    labels, one-line definitions, decision procedure
    GET  /api/history     the last decisions, newest first
    GET  /api/search?q=   units whose id starts with q or whose text contains it
    GET  /api/summary     per annotator: decisions, skips, time on task, units per hour
    POST /api/decide      {"unit_id", "revision", "label", "note"?, "seconds"?} -> new state
    POST /api/skip        {"unit_id", "revision", "seconds"?}                  -> new state
    POST /api/undo        {"unit_id", "revision"} (of the decision to undo)    -> new state
    POST /api/show        {"unit_id"} (revisit or jump to a unit)              -> new state
"""

from __future__ import annotations

import errno
import json
import secrets
import socket
from collections.abc import Callable, Sequence
from importlib import resources
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from framing.app.session import Session
from framing.app.team import Team
from framing.codebook import CODEBOOK_VERSION, DECISION_PROCEDURE, DEFINITIONS, LABELS
from framing.errors import (
    ConflictError,
    FileInUseError,
    FramingError,
    InvalidDecisionError,
    LabelFileError,
    NothingToUndoError,
    UnknownLabelError,
    UnknownUnitError,
)
from framing.labels.store import annotator_files, read_many
from framing.labels.summary import summarise

MAX_BODY_BYTES = 64 * 1024
LOOPBACK_HOSTS = ("127.0.0.1", "localhost")
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
_STATUS = {
    UnknownUnitError: 404,
    UnknownLabelError: 422,
    InvalidDecisionError: 422,
    LabelFileError: 422,
    NothingToUndoError: 409,
    ConflictError: 409,
    FileInUseError: 409,
}


class Guard:
    """ASGI middleware: checks the access token (when set) and adds security headers to every response."""

    def __init__(self, app: ASGIApp, token: str | None = None) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse requests without the token (static assets excepted); pass the others on."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).update(SECURITY_HEADERS)
            await send(message)

        if self.token and not scope["path"].startswith("/static/") and not self._authorised(Request(scope)):
            refusal = JSONResponse(
                {"error": "Missing or wrong token: open the full URL that `framing label` printed."},
                status_code=401,
            )
            await refusal(scope, receive, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)

    def _authorised(self, request: Request) -> bool:
        assert self.token is not None
        given = request.query_params.get("token") or ""
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer":
            given = value.strip()
        return secrets.compare_digest(given.encode(), self.token.encode())


async def read_json(request: Request) -> dict[str, Any]:
    """The request's JSON object, or an HTTP error saying what is wrong with it."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise HTTPException(415, f"Send JSON with Content-Type: application/json (got {content_type!r}).")
    body = await request.body()
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HTTPException(400, f"Malformed JSON: {exc}.") from None
    if not isinstance(payload, dict):
        raise HTTPException(400, f"Expected a JSON object, got {type(payload).__name__}.")
    return payload


def required_text(payload: dict[str, Any], field: str, max_length: int = 200) -> str:
    """``payload[field]`` as a string of at most ``max_length`` characters, or a 422 error."""
    value = payload.get(field)
    if not isinstance(value, str) or not value or len(value) > max_length:
        raise HTTPException(
            422, f"Field {field!r} must be a non-empty string of at most {max_length} characters."
        )
    return value


def required_revision(payload: dict[str, Any]) -> int:
    """``payload["revision"]``: the revision of the unit the page showed, or a 422 error."""
    value = payload.get("revision")
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise HTTPException(
            422, "Field 'revision' must be the unit's revision the page showed (a whole number, 0 or more)."
        )
    return value


def create_app(
    target: Team | Session,
    token: str | None = None,
    allowed_hosts: Sequence[str] | None = None,
    max_body_bytes: int = MAX_BODY_BYTES,
) -> Starlette:
    """The web app over ``target``: a team of labelling sessions, or one session (such as a review).

    ``token``: required on every request but static assets (query ``?token=`` or
    ``Authorization: Bearer``). ``allowed_hosts``: accepted ``Host`` headers
    (guards against DNS rebinding); ``None`` accepts any.
    """

    def session_for(name: object) -> Session:
        if isinstance(target, Team):
            return target.session(name)
        if name not in (None, "", target.annotator) and target.mode == "label":
            raise LabelFileError(f"This server labels as {target.annotator} only.")
        return target

    async def session_of(request: Request, payload: dict[str, Any] | None = None) -> Session:
        name = request.query_params.get("annotator") if payload is None else payload.get("annotator")
        return await run_in_threadpool(session_for, name)

    async def page(request: Request) -> Response:
        html = resources.files("framing.app").joinpath("static/index.html").read_text(encoding="utf-8")
        return HTMLResponse(html)

    async def annotators(request: Request) -> Response:
        if isinstance(target, Team):
            names = await run_in_threadpool(target.names)
            return JSONResponse(
                {"mode": target.mode, "names": names, "only": target.only, "overlap": target.overlap}
            )
        return JSONResponse(
            {"mode": target.mode, "names": [target.annotator], "only": target.annotator, "overlap": 0}
        )

    async def state(request: Request) -> Response:
        session = await session_of(request)
        return JSONResponse(await run_in_threadpool(session.state))

    async def codebook(request: Request) -> Response:
        return JSONResponse(
            {
                "version": CODEBOOK_VERSION,
                "labels": [{"label": label, "definition": DEFINITIONS[label]} for label in LABELS],
                "procedure": list(DECISION_PROCEDURE),
            }
        )

    async def history(request: Request) -> Response:
        session = await session_of(request)
        return JSONResponse({"items": await run_in_threadpool(session.history)})

    async def search(request: Request) -> Response:
        session = await session_of(request)
        query = request.query_params.get("q", "")
        return JSONResponse({"items": await run_in_threadpool(session.search, query[:200])})

    async def summary(request: Request) -> Response:
        if isinstance(target, Team):
            folder = target.labels_dir
            files = await run_in_threadpool(annotator_files, folder)
        else:
            files = [target.log.path] if target.log.path.exists() else []
        records = (await run_in_threadpool(read_many, files)).records
        return JSONResponse({"annotators": [row.to_dict() for row in summarise(records)]})

    async def decide(request: Request) -> Response:
        payload = await read_json(request)
        session = await session_of(request, payload)
        unit_id = required_text(payload, "unit_id")
        revision = required_revision(payload)
        label = required_text(payload, "label")
        return JSONResponse(
            await run_in_threadpool(
                session.decide, unit_id, label, payload.get("note", ""), revision, payload.get("seconds")
            )
        )

    async def skip(request: Request) -> Response:
        payload = await read_json(request)
        session = await session_of(request, payload)
        unit_id = required_text(payload, "unit_id")
        revision = required_revision(payload)
        return JSONResponse(await run_in_threadpool(session.skip, unit_id, revision, payload.get("seconds")))

    async def undo(request: Request) -> Response:
        payload = await read_json(request)
        session = await session_of(request, payload)
        unit_id = required_text(payload, "unit_id")
        revision = required_revision(payload)
        return JSONResponse(await run_in_threadpool(session.undo, unit_id, revision))

    async def show(request: Request) -> Response:
        payload = await read_json(request)
        session = await session_of(request, payload)
        return JSONResponse(await run_in_threadpool(session.show, required_text(payload, "unit_id")))

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code)

    async def session_error(request: Request, exc: Exception) -> Response:
        status = next(_STATUS[kind] for kind in type(exc).__mro__ if kind in _STATUS)
        return JSONResponse({"error": str(exc)}, status_code=status)

    async def save_error(request: Request, exc: Exception) -> Response:
        return JSONResponse(
            {"error": f"Could not save: {exc}. The decision was not recorded."}, status_code=500
        )

    middleware = [Middleware(Guard, token=token)]
    if allowed_hosts is not None:
        middleware.insert(0, Middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts)))
    return Starlette(
        routes=[
            Route("/", page),
            Route("/api/annotators", annotators),
            Route("/api/state", state),
            Route("/api/codebook", codebook),
            Route("/api/history", history),
            Route("/api/search", search),
            Route("/api/summary", summary),
            Route("/api/decide", decide, methods=["POST"]),
            Route("/api/skip", skip, methods=["POST"]),
            Route("/api/undo", undo, methods=["POST"]),
            Route("/api/show", show, methods=["POST"]),
            Mount("/static", StaticFiles(packages=[("framing.app", "static")]), name="static"),
        ],
        middleware=middleware,
        exception_handlers={
            HTTPException: http_error,
            **{error: session_error for error in _STATUS},
            OSError: save_error,
        },
        max_body_size=max_body_bytes,
    )


def access_token(host: str, token: str | None = None) -> str | None:
    """The token a server on ``host`` requires: ``token`` if given, a new one off loopback, else none.

    >>> access_token("127.0.0.1") is None
    True
    >>> len(access_token("0.0.0.0")) > 20
    True
    """
    if token:
        return token
    return None if host in LOOPBACK_HOSTS else secrets.token_urlsafe(24)


def bind(host: str = "127.0.0.1", port: int = 8000) -> socket.socket:
    """A socket listening on ``host``:``port`` (0: any free port), or a :class:`FramingError` saying why not.

    Bind before opening any labels file, so a busy port leaves nothing behind.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise FramingError(
                f"Port {port} on {host} is in use (another `framing label` or `review`?). "
                "Stop that one, or pass another --port (0 picks a free one)."
            ) from None
        raise FramingError(f"Cannot listen on {host}:{port}: {exc.strerror or exc}.") from None
    return sock


def serve(
    target: Team | Session,
    sock: socket.socket,
    token: str | None = None,
    announce: Callable[[str], None] = print,
) -> None:
    """Serve ``target`` on the bound ``sock`` until interrupted, then close it and its sessions.

    ``announce`` gets the URL to open (with its token). Off 127.0.0.1/localhost
    a token is always required (generated unless given). Each session's labels
    file stays locked while it is open, so a second session on it fails with a
    clear message.
    """
    import uvicorn

    host, bound_port = sock.getsockname()[:2]
    token = access_token(host, token)
    allowed_hosts = list(LOOPBACK_HOSTS) if host in LOOPBACK_HOSTS else None
    app = create_app(target, token=token, allowed_hosts=allowed_hosts)
    try:
        with sock:
            shown_host = f"[{host}]" if ":" in host else host
            announce(f"http://{shown_host}:{bound_port}/" + (f"?token={token}" if token else ""))
            config = uvicorn.Config(app, log_level="warning", access_log=False, timeout_graceful_shutdown=2)
            uvicorn.Server(config).run(sockets=[sock])
    finally:
        target.close()
