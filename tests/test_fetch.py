"""The fetcher against a local site: limits, redirects, conditional GETs, and refusing private addresses."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from aiohttp.abc import AbstractResolver, ResolveResult

from bot.fetch import (
    USER_AGENT,
    AddressPolicy,
    Fetcher,
    FetchError,
    FetchErrorKind,
    RefusedAddress,
    with_default_scheme,
)
from tests.web_fixtures import (
    ARTICLE_TITLE,
    LocalNewsSite,
)

pytestmark = pytest.mark.usefixtures("loopback_only")


@pytest_asyncio.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    """Private addresses refused, except exactly the loopback address the local site listens on."""
    async with Fetcher(allowed_networks=["127.0.0.1/32"], timeout=5.0) as client:
        yield client


class StaticResolver(AbstractResolver):
    """DNS for names that exist only in the test, so no lookup leaves the machine."""

    def __init__(self, table: dict[str, str]) -> None:
        self.table = table
        self.queries: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        name = host.rstrip(".")
        self.queries.append(name)
        if name not in self.table:
            raise OSError(socket.EAI_NONAME, f"{name} not found")
        address = self.table[name]
        return [
            ResolveResult(
                hostname=name,
                host=address,
                port=port,
                family=socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
        ]

    async def close(self) -> None:
        pass


async def fetch_error(fetcher: Fetcher, url: str, **kwargs: object) -> FetchError:
    with pytest.raises(FetchError) as caught:
        await fetcher.fetch(url, **kwargs)  # type: ignore[arg-type]
    return caught.value


async def test_page_is_fetched_with_our_user_agent_when_loopback_allowed(site: LocalNewsSite) -> None:
    async with Fetcher(allow_private=True) as fetcher:
        result = await fetcher.fetch(site.url("/article/1"), html_only=True)
    assert result.status == 200
    assert result.content_type == "text/html"
    assert result.charset == "utf-8"
    assert ARTICLE_TITLE in result.body.decode()
    assert not result.not_modified
    assert site.requests[-1].headers["User-Agent"] == USER_AGENT


async def test_localhost_is_refused_without_allow_private(site: LocalNewsSite) -> None:
    async with Fetcher() as fetcher:
        error = await fetch_error(fetcher, f"http://localhost:{site.port}/article/1")
    assert error.kind is FetchErrorKind.PRIVATE_ADDRESS
    assert site.requests == []


async def test_loopback_ip_literal_is_refused_without_allow_private(site: LocalNewsSite) -> None:
    async with Fetcher() as fetcher:
        error = await fetch_error(fetcher, site.url("/article/1"))
    assert error.kind is FetchErrorKind.PRIVATE_ADDRESS
    assert site.requests == []


async def test_name_resolving_to_loopback_is_refused_by_the_connecting_resolver(site: LocalNewsSite) -> None:
    dns = StaticResolver({"news.example": "127.0.0.1"})
    async with Fetcher(resolver=dns) as fetcher:
        error = await fetch_error(fetcher, f"http://news.example:{site.port}/article/1")
    assert error.kind is FetchErrorKind.PRIVATE_ADDRESS
    assert dns.queries == ["news.example"]
    assert site.requests == []


async def test_connection_goes_to_the_address_that_was_checked(site: LocalNewsSite) -> None:
    dns = StaticResolver({"news.example": "127.0.0.1"})
    async with Fetcher(allowed_networks=["127.0.0.1/32"], resolver=dns) as fetcher:
        result = await fetcher.fetch(f"http://news.example:{site.port}/article/1")
    assert result.status == 200
    assert dns.queries == ["news.example"]
    assert site.requests[-1].headers["Host"] == f"news.example:{site.port}"


async def test_unknown_host_is_a_dns_failure() -> None:
    async with Fetcher(resolver=StaticResolver({})) as fetcher:
        error = await fetch_error(fetcher, "http://no-such-host.example/news")
    assert error.kind is FetchErrorKind.DNS_FAILURE


async def test_redirect_to_private_network_is_refused_before_connecting(
    site: LocalNewsSite, fetcher: Fetcher, loopback_only: list[str]
) -> None:
    error = await fetch_error(fetcher, site.url("/redirect-private"))
    assert error.kind is FetchErrorKind.PRIVATE_ADDRESS
    assert "10.0.0.1" in error.detail
    assert loopback_only == []


async def test_redirect_to_cloud_metadata_address_is_refused(
    site: LocalNewsSite, fetcher: Fetcher, loopback_only: list[str]
) -> None:
    error = await fetch_error(fetcher, site.url("/redirect-metadata"))
    assert error.kind is FetchErrorKind.PRIVATE_ADDRESS
    assert loopback_only == []


async def test_redirect_to_another_scheme_is_refused(site: LocalNewsSite, fetcher: Fetcher) -> None:
    error = await fetch_error(fetcher, site.url("/redirect-ftp"))
    assert error.kind is FetchErrorKind.UNSUPPORTED_SCHEME


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/a", "javascript:alert(1)"])
async def test_only_http_and_https_are_fetched(fetcher: Fetcher, url: str) -> None:
    error = await fetch_error(fetcher, url)
    assert error.kind is FetchErrorKind.UNSUPPORTED_SCHEME


async def test_url_without_host_is_invalid(fetcher: Fetcher) -> None:
    error = await fetch_error(fetcher, "http:///path-only")
    assert error.kind is FetchErrorKind.INVALID_URL


async def test_five_redirects_are_followed_to_the_final_page(site: LocalNewsSite, fetcher: Fetcher) -> None:
    result = await fetcher.fetch(site.url("/redirect/5"))
    assert result.final_url == site.url("/article/1")
    assert site.paths() == [f"/redirect/{n}" for n in (5, 4, 3, 2, 1)] + ["/article/1"]


async def test_six_redirects_are_too_many(site: LocalNewsSite, fetcher: Fetcher) -> None:
    error = await fetch_error(fetcher, site.url("/redirect/6"))
    assert error.kind is FetchErrorKind.TOO_MANY_REDIRECTS
    assert "/article/1" not in site.paths()


async def test_relative_redirect_is_resolved_against_the_current_url(
    site: LocalNewsSite, fetcher: Fetcher
) -> None:
    result = await fetcher.fetch(site.url("/redirect-relative"))
    assert result.final_url == site.url("/article/1")


async def test_missing_page_is_not_found(site: LocalNewsSite, fetcher: Fetcher) -> None:
    error = await fetch_error(fetcher, site.url("/no-such-page"))
    assert error.kind is FetchErrorKind.NOT_FOUND
    assert error.status == 404


async def test_server_error_keeps_its_status(site: LocalNewsSite, fetcher: Fetcher) -> None:
    error = await fetch_error(fetcher, site.url("/server-error"))
    assert error.kind is FetchErrorKind.HTTP_ERROR
    assert error.status == 503


async def test_image_is_refused_when_html_is_expected(site: LocalNewsSite, fetcher: Fetcher) -> None:
    error = await fetch_error(fetcher, site.url("/image.png"), html_only=True)
    assert error.kind is FetchErrorKind.NOT_HTML
    assert "image/png" in error.detail


async def test_image_is_returned_as_bytes_when_any_type_is_accepted(
    site: LocalNewsSite, fetcher: Fetcher
) -> None:
    result = await fetcher.fetch(site.url("/image.png"))
    assert result.content_type == "image/png"
    assert result.body.startswith(b"\x89PNG")


async def test_streamed_page_over_the_limit_is_cut_off(site: LocalNewsSite, fetcher: Fetcher) -> None:
    error = await fetch_error(fetcher, site.url("/huge"))
    assert error.kind is FetchErrorKind.TOO_LARGE


async def test_declared_oversize_body_is_refused_before_reading(
    site: LocalNewsSite, fetcher: Fetcher
) -> None:
    error = await fetch_error(fetcher, site.url("/huge-declared"))
    assert error.kind is FetchErrorKind.TOO_LARGE
    assert "declared" in error.detail


async def test_page_within_a_smaller_limit_passes_and_over_it_fails(site: LocalNewsSite) -> None:
    async with Fetcher(allowed_networks=["127.0.0.1/32"], max_bytes=1000) as small:
        error = await fetch_error(small, site.url("/article/1"))
        result = await small.fetch(site.url("/image.png"))
    assert error.kind is FetchErrorKind.TOO_LARGE
    assert result.status == 200


async def test_slow_page_times_out(site: LocalNewsSite) -> None:
    async with Fetcher(allowed_networks=["127.0.0.1/32"], timeout=0.5) as impatient:
        error = await fetch_error(impatient, site.url("/slow"))
    assert error.kind is FetchErrorKind.TIMEOUT


async def test_closed_port_is_unreachable(fetcher: Fetcher) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    error = await fetch_error(fetcher, f"http://127.0.0.1:{port}/")
    assert error.kind is FetchErrorKind.UNREACHABLE


async def test_etag_brings_not_modified(site: LocalNewsSite, fetcher: Fetcher) -> None:
    first = await fetcher.fetch(site.url("/rss.xml"))
    again = await fetcher.fetch(site.url("/rss.xml"), etag=first.etag)
    assert first.etag and first.body
    assert again.not_modified
    assert again.status == 304
    assert again.body == b""
    assert site.requests[-1].headers["If-None-Match"] == first.etag


async def test_last_modified_alone_brings_not_modified(site: LocalNewsSite, fetcher: Fetcher) -> None:
    first = await fetcher.fetch(site.url("/atom.xml"))
    again = await fetcher.fetch(site.url("/atom.xml"), last_modified=first.last_modified)
    assert again.not_modified
    assert site.requests[-1].headers["If-Modified-Since"] == first.last_modified


async def test_stale_etag_gets_the_full_document(site: LocalNewsSite, fetcher: Fetcher) -> None:
    result = await fetcher.fetch(site.url("/rss.xml"), etag='"stale"')
    assert not result.not_modified
    assert b"<rss" in result.body


@pytest.mark.parametrize(
    "address",
    [
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "127.0.0.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.251",
        "240.0.0.1",
        "255.255.255.255",
        "::1",
        "fe80::1",
        "fd00::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
    ],
)
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not AddressPolicy().permits(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2a00:1450:4001:82b::200e"])
def test_public_addresses_are_permitted(address: str) -> None:
    assert AddressPolicy().permits(ipaddress.ip_address(address))


def test_allow_private_opens_private_networks() -> None:
    policy = AddressPolicy(allow_private=True)
    assert policy.permits(ipaddress.ip_address("10.0.0.1"))
    assert policy.permits(ipaddress.ip_address("127.0.0.1"))


def test_one_private_address_among_public_ones_refuses_the_host() -> None:
    with pytest.raises(RefusedAddress):
        AddressPolicy().check("mixed.example", ["93.184.216.34", "10.0.0.1"])


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("tomsk.example/news/1", "https://tomsk.example/news/1"),
        ("  http://tomsk.example/a  ", "http://tomsk.example/a"),
        ("mailto:editor@tomsk.example", "mailto:editor@tomsk.example"),
        ("/relative/path", "/relative/path"),
    ],
)
def test_links_typed_without_a_scheme_get_https(typed: str, expected: str) -> None:
    assert with_default_scheme(typed) == expected


async def test_link_without_a_scheme_is_resolved_and_checked_as_a_host() -> None:
    dns = StaticResolver({"tomsk.example": "127.0.0.1"})
    async with Fetcher(resolver=dns) as fetcher:
        error = await fetch_error(fetcher, "tomsk.example/news/1")
    assert error.kind is FetchErrorKind.PRIVATE_ADDRESS
    assert dns.queries == ["tomsk.example"]


async def test_malformed_redirect_location_is_an_invalid_url(site: LocalNewsSite, fetcher: Fetcher) -> None:
    error = await fetch_error(fetcher, site.url("/redirect-malformed"))
    assert error.kind is FetchErrorKind.INVALID_URL
