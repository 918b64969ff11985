"""HTTP fetching for links and feeds that users hand us, so it must not become a way into our own network.

Only http(s); every address a host resolves to is checked before connecting, by a resolver the connector
uses, so the checked address is the one connected to (no DNS-rebinding window); redirects are followed by
hand so each hop is checked again; size and time are capped while the body streams in.
"""

from __future__ import annotations

import asyncio
import email.utils
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from types import TracebackType

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver
from yarl import URL

USER_AGENT = "NewsDigestBot/0.1 (Telegram news-digest bot; fetches links and feeds its users add)"
HTML_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"
FEED_ACCEPT = (
    "application/rss+xml,application/atom+xml,application/feed+json,application/rdf+xml,"
    "application/xml;q=0.9,text/xml;q=0.9,application/json;q=0.8,*/*;q=0.5"
)
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
CONNECTIONS_PER_HOST = 16  # to one site at once: feed polls (8 per host at most) and links together
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_CHUNK = 64 * 1024

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class FetchErrorKind(StrEnum):
    """Why a link or feed could not be read; the handler renders each kind in the user's language."""

    INVALID_URL = "invalid_url"
    UNSUPPORTED_SCHEME = "unsupported_scheme"
    PRIVATE_ADDRESS = "private_address"
    DNS_FAILURE = "dns_failure"
    UNREACHABLE = "unreachable"
    TIMEOUT = "timeout"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    NOT_FOUND = "not_found"
    HTTP_ERROR = "http_error"
    TOO_LARGE = "too_large"
    NOT_HTML = "not_html"
    NO_ARTICLE_TEXT = "no_article_text"
    NOT_A_FEED = "not_a_feed"


class FetchError(Exception):
    """A failure the user can act on; `detail` is for logs and admins, `kind` is what users see."""

    def __init__(
        self,
        kind: FetchErrorKind,
        detail: str = "",
        *,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(f"{kind.value}: {detail}" if detail else kind.value)
        self.kind = kind
        self.detail = detail
        self.status = status
        self.retry_after = retry_after  # seconds a 429 or 503 asked us to wait (Retry-After)

    def __reduce__(self) -> tuple[object, ...]:
        # Raised in worker processes too (feed parsing); the default pickling would lose `kind`.
        return (_rebuild_fetch_error, (type(self), self.kind, self.detail, self.status, self.retry_after))


def _rebuild_fetch_error(
    cls: type[FetchError],
    kind: FetchErrorKind,
    detail: str,
    status: int | None,
    retry_after: float | None = None,
) -> FetchError:
    error = Exception.__new__(cls)
    FetchError.__init__(error, kind, detail, status=status, retry_after=retry_after)
    return error


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """A Retry-After header in seconds (it holds seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())


class RefusedAddress(OSError):
    """Raised inside the connector's resolver; an OSError so aiohttp wraps it rather than crashing."""


@dataclass(frozen=True)
class FetchResult:
    status: int
    final_url: str
    content_type: str  # media type only, lower case, "" when the server sent none
    charset: str | None
    body: bytes
    etag: str | None
    last_modified: str | None
    not_modified: bool


@dataclass(frozen=True)
class AddressPolicy:
    """Which resolved addresses may be connected to: public ones, plus private ones only when configured."""

    allow_private: bool = False
    allowed_networks: tuple[IPNetwork, ...] = ()

    def permits(self, address: IPAddress) -> bool:
        if address.version == 6 and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if any(address in net for net in self.allowed_networks):
            return True
        if self.allow_private:
            return not address.is_unspecified
        return address.is_global and not (
            address.is_multicast or address.is_reserved or address.is_loopback or address.is_link_local
        )

    def check(self, host: str, addresses: Iterable[str]) -> None:
        """Refuse the host when any of its addresses is off-limits: an attacker may mix public and private."""
        for raw in addresses:
            address = ipaddress.ip_address(raw.split("%", 1)[0])
            if not self.permits(address):
                raise RefusedAddress(f"{host} resolves to a non-public address {address}")


class CheckedResolver(AbstractResolver):
    """Resolves through the system (or a given) resolver and refuses hosts with non-public addresses."""

    def __init__(self, policy: AddressPolicy, inner: AbstractResolver | None = None) -> None:
        self._policy = policy
        self._inner = inner

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if self._inner is None:
            self._inner = DefaultResolver()
        results = await self._inner.resolve(host, port, family)
        self._policy.check(host, (r["host"] for r in results))
        return results

    async def close(self) -> None:
        if self._inner is not None:
            await self._inner.close()


def _literal_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


def _redirect_target(current: URL, location: str) -> URL:
    try:
        return current.join(URL(location))
    except ValueError as exc:
        raise FetchError(FetchErrorKind.INVALID_URL, f"redirect to {location!r}: {exc}") from exc


def with_default_scheme(url: str) -> str:
    """Links as people type them ("lenta.ru/news/..."), and as Telegram marks them, often lack a scheme."""
    url = url.strip()
    try:
        parsed = URL(url)
    except ValueError:
        return url
    if not parsed.scheme and not parsed.host and not url.startswith("/"):
        return "https://" + url
    return url


def _media_type(header: str | None) -> str:
    return (header or "").split(";", 1)[0].strip().lower()


class Fetcher:
    """One shared session for all outgoing requests; create once, `await close()` at shutdown."""

    def __init__(
        self,
        *,
        allow_private: bool = False,
        max_bytes: int = 5 * 1024 * 1024,
        timeout: float = 20.0,
        max_redirects: int = 5,
        user_agent: str = USER_AGENT,
        allowed_networks: Iterable[str] = (),
        resolver: AbstractResolver | None = None,
    ) -> None:
        self.policy = AddressPolicy(allow_private, tuple(ipaddress.ip_network(n) for n in allowed_networks))
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.max_redirects = max_redirects
        self.user_agent = user_agent
        self._inner_resolver = resolver
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    def _open_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            # A per-host cap well above the poller's own (FeedPoller.per_host, 8) and a total above what
            # the poller and the link handlers use at once: a request queued for a pooled connection spends
            # its own deadline waiting, so slow feeds holding a host's few connections (the old cap was 4)
            # made good feeds of that host fail as timeouts. Links, which the poller does not bound, still
            # open at most CONNECTIONS_PER_HOST connections to one site.
            connector = aiohttp.TCPConnector(
                resolver=CheckedResolver(self.policy, self._inner_resolver),
                limit=256,
                limit_per_host=CONNECTIONS_PER_HOST,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers={"User-Agent": self.user_agent, "Accept-Language": "ru,en;q=0.8"},
                timeout=aiohttp.ClientTimeout(total=None, connect=self.timeout, sock_read=self.timeout),
                trust_env=False,  # a proxy from the environment would bypass the address checks
                cookie_jar=aiohttp.DummyCookieJar(),
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def check_url(self, url: str | URL) -> URL:
        """Check one hop's scheme and host; literal IPs bypass the resolver, so they are checked here."""
        try:
            parsed = URL(url) if isinstance(url, str) else url
        except (ValueError, TypeError) as exc:
            raise FetchError(FetchErrorKind.INVALID_URL, str(exc)) from exc
        if parsed.scheme not in ("http", "https"):
            raise FetchError(FetchErrorKind.UNSUPPORTED_SCHEME, parsed.scheme or str(url))
        if not parsed.host:
            raise FetchError(FetchErrorKind.INVALID_URL, f"no host in {url}")
        literal = _literal_address(parsed.host)
        if literal is not None and not self.policy.permits(literal):
            raise FetchError(FetchErrorKind.PRIVATE_ADDRESS, f"{parsed.host} is not a public address")
        return parsed.with_fragment(None)

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str = HTML_ACCEPT,
        html_only: bool = False,
    ) -> FetchResult:
        """GET `url` within the time budget; `html_only` rejects other media types before reading the body."""
        try:
            async with asyncio.timeout(self.timeout):
                return await self._fetch(url, etag, last_modified, accept, html_only)
        except TimeoutError as exc:
            detail = f"{url}: no complete answer in {self.timeout:g} s"
            raise FetchError(FetchErrorKind.TIMEOUT, detail) from exc

    async def _fetch(
        self, url: str, etag: str | None, last_modified: str | None, accept: str, html_only: bool
    ) -> FetchResult:
        session = self._open_session()
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        current = self.check_url(with_default_scheme(url))
        for _hop in range(self.max_redirects + 1):
            try:
                async with session.get(current, headers=headers, allow_redirects=False) as response:
                    if response.status in _REDIRECT_STATUSES and "Location" in response.headers:
                        current = self.check_url(_redirect_target(current, response.headers["Location"]))
                        continue
                    return await self._read(response, html_only)
            except aiohttp.ClientConnectorDNSError as exc:
                if isinstance(exc.os_error, RefusedAddress) or isinstance(exc.__cause__, RefusedAddress):
                    raise FetchError(FetchErrorKind.PRIVATE_ADDRESS, str(exc.os_error)) from exc
                raise FetchError(FetchErrorKind.DNS_FAILURE, f"{current.host}: {exc.os_error}") from exc
            except aiohttp.ServerTimeoutError as exc:
                raise FetchError(FetchErrorKind.TIMEOUT, f"{current}: {exc}") from exc
            except aiohttp.InvalidURL as exc:
                raise FetchError(FetchErrorKind.INVALID_URL, str(exc)) from exc
            except (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError) as exc:
                raise FetchError(FetchErrorKind.UNREACHABLE, f"{current.host}: {exc}") from exc
            except aiohttp.ClientResponseError as exc:
                raise FetchError(FetchErrorKind.HTTP_ERROR, str(exc), status=exc.status) from exc
        detail = f"more than {self.max_redirects} redirects from {url}"
        raise FetchError(FetchErrorKind.TOO_MANY_REDIRECTS, detail)

    async def _read(self, response: aiohttp.ClientResponse, html_only: bool) -> FetchResult:
        final_url = str(response.url)
        etag = response.headers.get("ETag")
        last_modified = response.headers.get("Last-Modified")
        content_type = _media_type(response.headers.get("Content-Type"))
        if response.status == 304:
            return FetchResult(304, final_url, content_type, None, b"", etag, last_modified, True)
        if response.status in (404, 410):
            raise FetchError(FetchErrorKind.NOT_FOUND, final_url, status=response.status)
        if not 200 <= response.status < 300:
            detail = f"{final_url}: {response.status}"
            wait = (
                retry_after_seconds(response.headers.get("Retry-After"))
                if response.status in (429, 503)
                else None
            )
            raise FetchError(FetchErrorKind.HTTP_ERROR, detail, status=response.status, retry_after=wait)
        # An absent type is common on small sites; extraction will tell whether it was HTML.
        if html_only and content_type and content_type not in HTML_TYPES:
            raise FetchError(FetchErrorKind.NOT_HTML, f"{final_url}: {content_type}")
        if response.content_length is not None and response.content_length > self.max_bytes:
            detail = f"{final_url}: {response.content_length} bytes declared"
            raise FetchError(FetchErrorKind.TOO_LARGE, detail)
        body = bytearray()
        async for chunk in response.content.iter_chunked(_CHUNK):
            body += chunk
            if len(body) > self.max_bytes:
                raise FetchError(FetchErrorKind.TOO_LARGE, f"{final_url}: over {self.max_bytes} bytes")
        return FetchResult(
            status=response.status,
            final_url=final_url,
            content_type=content_type,
            charset=response.charset,
            body=bytes(body),
            etag=etag,
            last_modified=last_modified,
            not_modified=False,
        )
