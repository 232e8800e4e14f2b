"""Pages kept while the data stays the same: computed once, served from memory until the store changes.

A page's figures change only when the data does, yet computing one costs tens to hundreds of
milliseconds (an enterprise's fee calendar: every fee of every patent in custody). So the GET
pages named in :data:`CACHED_PATHS` are kept, as the bytes sent, under a key of everything the
answer depends on:

- the path and the query, JSON or HTML (``?format=json``, ``Accept``), the host (absolute links);
- the language (the ``lang`` cookie) and the ``PATENTATLAS_*`` settings of the process;
- **the viewer**: nobody, or one session — a signed-in page shows its user and carries the
  session's CSRF token, so it is never served to another session, let alone another enterprise;
- the store's data version (:mod:`patentatlas.store.version`), which every committed write moves
  on: a page computed before a change is never served after it;
- today's date (UTC and Beijing): fee states and days left change at midnight.

Only a complete 200 answer without cookies is kept, and none while a one-time message (the flash
cookie) waits to be shown. Many requests for a page not yet kept wait for the first one to compute
it, rather than all computing it at once. The cache is bounded (setting ``page_cache_mb``, least
recently used pages leave first); bodies are kept gzipped as well, for clients that accept it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gzip
import os
import re
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from patentatlas.beijing_time import beijing_today
from patentatlas.config import setting
from patentatlas.domain.accounts import Session, session_for, token_hash
from patentatlas.errors import AuthError
from patentatlas.store.version import DataVersion
from patentatlas.web.auth import COOKIE
from patentatlas.web.forms import FLASH_COOKIE, wants_json

# pages whose answer is a function of the key above, and nothing else (no nonce, no clock time,
# no one-time token): the government end's pages, the patent pages, the enterprise end's pages
CACHED_PATHS = re.compile(
    r"/(?:api/)?(?:"
    r"|summary|overview|industries|patents(?:/[^/]+)?"
    r"|regions/\d{6}(?:/(?:enterprises|patents|indicators|placement))?|map"
    r"|enterprises/\d+(?:/(?:fees|custody|profile|watches|inbox))?"
    r")"
)
DOWNLOADS = ("csv", "xlsx")  # a download says when it was made: made anew each time
GZIP_FROM_BYTES = 1400  # smaller bodies fit one packet anyway
LARGEST_PAGE_BYTES = 16 << 20


@dataclass(frozen=True)
class KeptPage:
    """One kept answer: its status line's headers, its body, and the body gzipped."""

    headers: list[tuple[bytes, bytes]]
    body: bytes
    gzipped: bytes | None

    @property
    def size(self) -> int:
        return len(self.body) + len(self.gzipped or b"")


class PageStore:
    """Kept pages under their keys, least recently used first out past ``limit_bytes``; pages of an
    older data version are dropped as soon as one of a newer version is kept."""

    def __init__(self, limit_bytes: int) -> None:
        self.limit_bytes = limit_bytes
        self.pages: OrderedDict[tuple[Any, ...], KeptPage] = OrderedDict()
        self.size = 0
        self.version = -1
        self.hits = self.misses = 0

    def get(self, key: tuple[Any, ...]) -> KeptPage | None:
        page = self.pages.get(key)
        if page is None:
            self.misses += 1
            return None
        self.pages.move_to_end(key)
        self.hits += 1
        return page

    def put(self, key: tuple[Any, ...], version: int, page: KeptPage) -> None:
        if version < self.version or page.size > self.limit_bytes:
            return  # computed before a change another page has already seen: not worth keeping
        if version > self.version:
            self.pages.clear()
            self.size, self.version = 0, version
        self.pages[key] = page
        self.size += page.size
        while self.size > self.limit_bytes:
            _, dropped = self.pages.popitem(last=False)
            self.size -= dropped.size


class PageCache:
    """ASGI middleware: the GET pages of :data:`CACHED_PATHS` served from a :class:`PageStore`."""

    def __init__(self, app: ASGIApp, version: DataVersion, conn: Any) -> None:
        self.app = app
        self.version = version
        self.conn = conn
        self.store = PageStore(int(setting("page_cache_mb")) << 20)
        self.computing: dict[tuple[Any, ...], asyncio.Future[KeptPage | None]] = {}
        self.sessions: dict[str, tuple[int, Session]] = {}  # cookie hash → (data version, session)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or not CACHED_PATHS.fullmatch(scope["path"]):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        if FLASH_COOKIE in request.cookies or request.query_params.get("format") in DOWNLOADS \
                or int(setting("page_cache_mb")) <= 0:
            await self.app(scope, receive, send)  # a message to show once, a download's time: not kept
            return
        version = self.version.value
        key = (scope["path"], scope["query_string"], wants_json(request), request.headers.get("host"),
               request.cookies.get("lang"), _settings(), await self._viewer(request, version), version,
               dt.date.today(), beijing_today())
        gzip_ok = "gzip" in request.headers.get("accept-encoding", "")
        page = self.store.get(key)
        if page is None and key in self.computing:  # being computed by another request: wait for it
            page = await asyncio.shield(self.computing[key])
            if page is None:  # its answer was not one to keep (an error, a redirect): answer anew
                await self.app(scope, receive, send)
                return
        if page is not None:
            await _send_kept(page, gzip_ok, send)
            return
        # no await from the check above to here: one request computes a page, the others wait
        await self._compute(key, version, scope, receive, send)

    async def _compute(self, key: tuple[Any, ...], version: int, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer the request, keeping the answer when it may be kept; those waiting get it too."""
        waiting: asyncio.Future[KeptPage | None] = asyncio.get_running_loop().create_future()
        self.computing[key] = waiting
        start: Message | None = None
        chunks: list[bytes] = []
        size = 0

        async def recording(message: Message) -> None:
            nonlocal start, size
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body" and size <= LARGEST_PAGE_BYTES:
                chunks.append(message.get("body", b""))
                size += len(chunks[-1])
            await send(message)

        page: KeptPage | None = None
        try:
            await self.app(scope, receive, recording)
            page = await _keepable(start, chunks)
            if page is not None:
                self.store.put(key, version, page)
        finally:
            del self.computing[key]
            waiting.set_result(page)

    async def _viewer(self, request: Request, version: int) -> str | None:
        """Who asks: None for nobody (no cookie, or one whose session is gone), else the session's
        cookie hash. Sessions are looked up in a thread, and remembered until the data changes."""
        cookie = request.cookies.get(COOKIE)
        if not cookie:
            return None
        hashed = token_hash(cookie)
        known = self.sessions.get(hashed)
        if known is None or known[0] != version or known[1].expires_at < dt.datetime.now(dt.UTC).replace(tzinfo=None):
            session = await run_in_threadpool(self._session, cookie)
            if session is None:
                return None
            if len(self.sessions) > 10_000:
                self.sessions.clear()
            self.sessions[hashed] = known = (version, session)
        return hashed

    def _session(self, cookie: str) -> Session | None:
        cursor = self.conn.cursor()
        try:
            return session_for(cursor, cookie)
        except AuthError:
            return None
        finally:
            cursor.close()


def _settings() -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("PATENTATLAS_")))


async def _keepable(start: Message | None, chunks: list[bytes]) -> KeptPage | None:
    """The answer as a page to keep: a 200 without cookies, whole, not too large; else None."""
    if start is None or start["status"] != 200:
        return None
    headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
    if any(k.lower() in (b"set-cookie", b"content-encoding") for k, _ in headers):
        return None
    body = b"".join(chunks)
    if len(body) > LARGEST_PAGE_BYTES:
        return None
    gzipped = await run_in_threadpool(gzip.compress, body, 6) if len(body) >= GZIP_FROM_BYTES else None
    return KeptPage(headers, body, gzipped)


async def _send_kept(page: KeptPage, gzip_ok: bool, send: Send) -> None:
    body, headers = page.body, list(page.headers)
    if gzip_ok and page.gzipped is not None:
        body = page.gzipped
        headers.append((b"content-encoding", b"gzip"))
    headers += [(b"content-length", str(len(body)).encode()), (b"vary", b"Accept-Encoding, Cookie")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})
