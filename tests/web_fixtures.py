"""A local news site on 127.0.0.1 that serves every page and feed shape the fetch and feed layers must handle.

Tests reach it only through a Fetcher that may talk to loopback; nothing here ever contacts another host.
Redirects to private addresses are answered with a Location header only: following them is the fetcher's
decision, and the tests check it refuses before connecting.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import ipaddress
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from types import TracebackType
from typing import Any

import aiohappyeyeballs
import pytest
import pytest_asyncio
from aiohttp import web

ARTICLE_TITLE = "В Томске открыли пешеходный мост через Ушайку"
ARTICLE_AUTHOR = "Мария Соколова"
ARTICLE_PUBLISHED = "2024-05-14T09:30:00+03:00"
ARTICLE_BODY = (
    "Пешеходный мост через реку Ушайку в центре Томска открыли во вторник после двух лет реконструкции. "
    "Старую деревянную переправу, построенную ещё в 1960-х годах, разобрали в 2022 году: обследование "
    "показало, что опоры разрушаются и пускать по ним людей опасно.",
    "Новый мост длиной 48 метров собран из металлических пролётов на бетонных опорах. По словам мэра "
    "города Дмитрия Махинина, подрядчик уложился в смету, а работы задержались на четыре месяца из-за "
    "весеннего паводка. «Мы понимали, что жители ждут эту переправу, и торопились как могли», — сказал он.",
    "Переход соединяет улицу Карташова с набережной и сокращает путь к университетскому кампусу примерно "
    "на полкилометра. На мосту установили освещение, камеры наблюдения и пандусы для колясок. Весной "
    "городские власти обещают высадить вдоль подходов к мосту липы и поставить скамейки.",
    "Реконструкция обошлась бюджету Томской области в 86 миллионов рублей. Следующим на очереди стоит "
    "мост на улице Пушкина, работы там начнутся осенью, сообщили в департаменте дорожной деятельности.",
)

PNG_BYTES = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82"
)


def forbid_non_loopback_connections(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A safety net under the address checks being tested: any attempt to open a connection to a
    non-loopback address fails the test before a packet is sent, and is recorded."""
    attempts: list[str] = []
    original = aiohappyeyeballs.start_connection

    async def loopback_only(addr_infos: list[Any], *args: Any, **kwargs: Any) -> Any:
        for info in addr_infos:
            host = info[4][0]
            if not ipaddress.ip_address(host).is_loopback:
                attempts.append(host)
                raise AssertionError(f"test tried to connect to non-loopback {host}")
        return await original(addr_infos, *args, **kwargs)

    monkeypatch.setattr(aiohappyeyeballs, "start_connection", loopback_only)
    return attempts


def article_html(
    title: str = ARTICLE_TITLE,
    paragraphs: tuple[str, ...] = ARTICLE_BODY,
    *,
    published: str | None = ARTICLE_PUBLISHED,
    json_ld: bool = True,
    charset: str = "utf-8",
) -> str:
    """A news page laid out as Russian regional sites do: menu, article with metadata, related links."""
    meta_published = f'<meta property="article:published_time" content="{published}">' if published else ""
    ld = ""
    if json_ld and published:
        ld_obj = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": title,
            "datePublished": published,
            "author": {"@type": "Person", "name": ARTICLE_AUTHOR},
            "publisher": {"@type": "Organization", "name": "Томские новости"},
        }
        ld = f'<script type="application/ld+json">{json.dumps(ld_obj, ensure_ascii=False)}</script>'
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return f"""<!DOCTYPE html>
<html lang="ru"><head>
<meta charset="{charset}">
<title>{title} — Томские новости</title>
<meta property="og:title" content="{title}">
<meta property="og:site_name" content="Томские новости">
<meta property="og:type" content="article">
{meta_published}
<meta name="author" content="{ARTICLE_AUTHOR}">
{ld}
</head><body>
<header><nav><a href="/">Главная</a> <a href="/city">Город</a> <a href="/sport">Спорт</a></nav></header>
<main><article>
<h1>{title}</h1>
<div class="byline">{ARTICLE_AUTHOR}</div>
{body}
</article>
<aside><h3>Читайте также</h3><ul><li><a href="/a/2">В Северске отключат воду</a></li>
<li><a href="/a/3">Прогноз погоды на выходные</a></li></ul></aside></main>
<footer>© Томские новости, 2024. При цитировании ссылка обязательна.</footer>
</body></html>"""


def no_article_html() -> str:
    """A section index: only navigation and headlines, nothing an extractor should call an article."""
    links = "".join(f'<li><a href="/a/{n}">Новость номер {n}</a></li>' for n in range(1, 6))
    return f"""<!DOCTYPE html><html lang="ru"><head><meta charset="utf-8">
<title>Город — Томские новости</title></head>
<body><nav><a href="/">Главная</a> <a href="/city">Город</a></nav>
<ul>{links}</ul><footer>© Томские новости</footer></body></html>"""


@dataclass(frozen=True)
class SeenRequest:
    method: str
    path: str
    headers: dict[str, str]


@dataclass
class FeedItemSpec:
    """One item of a served feed; `full` items carry their whole text, others only a teaser.
    The item links to /article/<page>, by default its guid."""

    guid: str
    title: str
    published: datetime
    text: str
    full: bool = False
    page: str | None = None


def _rfc822(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass
class LocalNewsSite:
    """A server on 127.0.0.1:<random port>: `async with LocalNewsSite() as site: site.url('/rss.xml')`."""

    slow_seconds: float = 30.0
    huge_bytes: int = 6 * 1024 * 1024
    requests: list[SeenRequest] = field(default_factory=list)
    moving_items: list[FeedItemSpec] = field(default_factory=list)
    feed_title: str = "Томские новости"
    _runner: web.AppRunner | None = None
    _closing: asyncio.Event = field(default_factory=asyncio.Event)
    port: int = 0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def paths(self) -> list[str]:
        return [r.path for r in self.requests]

    async def __aenter__(self) -> LocalNewsSite:
        app = web.Application(middlewares=[self._record])
        routes: dict[str, Callable[[web.Request], Awaitable[web.StreamResponse]]] = {
            "/article/{n}": self._article,
            "/article-no-jsonld": self._article_no_jsonld,
            "/article-cp1251": self._article_cp1251,
            "/section": self._section,
            "/home": self._home,
            "/rss.xml": self._rss20,
            "/rss10.rdf": self._rss10,
            "/rss091.xml": self._rss091,
            "/atom.xml": self._atom,
            "/feed.json": self._json_feed,
            "/teasers.xml": self._teasers,
            "/moving.xml": self._moving,
            "/broken.xml": self._broken,
            "/empty.xml": self._empty_rss,
            "/huge": self._huge,
            "/huge-declared": self._huge_declared,
            "/slow": self._slow,
            "/image.png": self._png,
            "/redirect/{n}": self._redirect_chain,
            "/redirect-relative": self._redirect_relative,
            "/redirect-private": self._redirect_private,
            "/redirect-metadata": self._redirect_metadata,
            "/redirect-ftp": self._redirect_ftp,
            "/redirect-malformed": self._redirect_malformed,
            "/server-error": self._server_error,
            "/busy.xml": self._busy,
        }
        for path, handler in routes.items():
            app.router.add_get(path, handler)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None and server.sockets
        self.port = server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()

    @web.middleware
    async def _record(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        self.requests.append(SeenRequest(request.method, request.path_qs, dict(request.headers)))
        return await handler(request)

    # --- pages ---

    async def _article(self, request: web.Request) -> web.Response:
        n = request.match_info["n"]
        if n == "1":
            html = article_html()
        else:
            # Other pages reuse the body under a distinct title so each counts as its own article.
            html = article_html(
                f"Новость {n}: {ARTICLE_TITLE}", tuple(f"{p} Материал {n}." for p in ARTICLE_BODY)
            )
        return web.Response(text=html, content_type="text/html", charset="utf-8")

    async def _article_no_jsonld(self, request: web.Request) -> web.Response:
        html = article_html(published="2024-05-15T18:05:00+07:00", json_ld=False)
        return web.Response(text=html, content_type="text/html", charset="utf-8")

    async def _article_cp1251(self, request: web.Request) -> web.Response:
        html = article_html(charset="windows-1251")
        return web.Response(
            body=html.encode("cp1251"), headers={"Content-Type": "text/html; charset=windows-1251"}
        )

    async def _home(self, request: web.Request) -> web.Response:
        """A front page that advertises its feeds, the way news sites do."""
        html = (
            '<!doctype html><html lang="ru"><head><meta charset="utf-8"><title>Томские новости</title>'
            '<link rel="alternate" type="application/rss+xml" title="Новости" href="/rss.xml">'
            '<link rel="alternate" type="application/atom+xml" href="/atom.xml"></head>'
            "<body><h1>Томские новости</h1><p>Главное за день.</p></body></html>"
        )
        return web.Response(text=html, content_type="text/html", charset="utf-8")

    async def _section(self, request: web.Request) -> web.Response:
        return web.Response(text=no_article_html(), content_type="text/html", charset="utf-8")

    async def _huge(self, request: web.Request) -> web.StreamResponse:
        # Chunked, no Content-Length: only counting while streaming can stop it.
        response = web.StreamResponse(headers={"Content-Type": "text/html; charset=utf-8"})
        await response.prepare(request)
        chunk = b"<p>" + "мост ".encode() * 6000 + b"</p>\n"
        sent = 0
        try:
            while sent < self.huge_bytes:
                await response.write(chunk)
                sent += len(chunk)
            await response.write_eof()
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        return response

    async def _huge_declared(self, request: web.Request) -> web.Response:
        return web.Response(body=b"x" * self.huge_bytes, content_type="text/html")

    async def _slow(self, request: web.Request) -> web.Response:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), self.slow_seconds)
        return web.Response(text=article_html(), content_type="text/html")

    async def _png(self, request: web.Request) -> web.Response:
        return web.Response(body=PNG_BYTES, content_type="image/png")

    async def _server_error(self, request: web.Request) -> web.Response:
        return web.Response(status=503, text="maintenance")

    async def _busy(self, request: web.Request) -> web.Response:
        """A feed server that asks to be left alone for two hours."""
        return web.Response(status=429, text="slow down", headers={"Retry-After": "7200"})

    # --- redirects ---

    async def _redirect_chain(self, request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        target = "/article/1" if n <= 1 else f"/redirect/{n - 1}"
        raise web.HTTPFound(target)

    async def _redirect_relative(self, request: web.Request) -> web.Response:
        return web.Response(status=301, headers={"Location": "article/1"})

    async def _redirect_private(self, request: web.Request) -> web.Response:
        raise web.HTTPFound("http://10.0.0.1/admin")

    async def _redirect_metadata(self, request: web.Request) -> web.Response:
        raise web.HTTPTemporaryRedirect("http://169.254.169.254/latest/meta-data/")

    async def _redirect_malformed(self, request: web.Request) -> web.Response:
        return web.Response(status=302, headers={"Location": "http://[::1/unclosed"})

    async def _redirect_ftp(self, request: web.Request) -> web.Response:
        raise web.HTTPFound("ftp://127.0.0.1/pub/file.txt")

    # --- feeds ---

    def _conditional(self, request: web.Request, body: bytes, content_type: str) -> web.Response:
        """Answer 304 when the client already holds this exact body, as well-behaved feed servers do."""
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        last_modified = "Tue, 14 May 2024 06:30:00 GMT"
        headers = {"ETag": etag, "Last-Modified": last_modified}
        if_none_match = request.headers.get("If-None-Match")
        if if_none_match == etag or (
            if_none_match is None and request.headers.get("If-Modified-Since") == last_modified
        ):
            return web.Response(status=304, headers=headers)
        return web.Response(body=body, headers={**headers, "Content-Type": content_type})

    def _rss_items(self, items: list[FeedItemSpec]) -> str:
        out = []
        for item in items:
            link = self.url(f"/article/{item.page or item.guid}")
            text = _escape(item.text)
            full = f"<content:encoded><![CDATA[<p>{item.text}</p>]]></content:encoded>" if item.full else ""
            out.append(
                f"<item><title>{_escape(item.title)}</title><link>{link}</link>"
                f'<guid isPermaLink="false">tomsk-{item.guid}</guid>'
                f"<pubDate>{_rfc822(item.published)}</pubDate>"
                f"<description>{text}</description>{full}</item>"
            )
        return "\n".join(out)

    def _rss_document(self, items: list[FeedItemSpec]) -> bytes:
        return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>{_escape(self.feed_title)}</title><link>{self.url("/")}</link>
<description>Новости Томска</description><language>ru</language>
{self._rss_items(items)}
</channel></rss>""".encode()

    async def _rss20(self, request: web.Request) -> web.Response:
        full_text = " ".join(ARTICLE_BODY)
        items = [
            FeedItemSpec("1", ARTICLE_TITLE, datetime(2024, 5, 14, 6, 30, tzinfo=UTC), full_text, full=True),
            FeedItemSpec(
                "2",
                "В Северске отключат горячую воду",
                datetime(2024, 5, 13, 8, 0, tzinfo=UTC),
                "Плановые отключения начнутся в понедельник…",
            ),
        ]
        return self._conditional(request, self._rss_document(items), "application/rss+xml; charset=utf-8")

    async def _teasers(self, request: web.Request) -> web.Response:
        items = [
            FeedItemSpec(str(n), f"Новость {n}", datetime(2024, 5, 10 + n, 7, tzinfo=UTC), "Коротко…")
            for n in (2, 3)
        ]
        return self._conditional(request, self._rss_document(items), "application/rss+xml")

    async def _moving(self, request: web.Request) -> web.Response:
        return self._conditional(request, self._rss_document(self.moving_items), "application/rss+xml")

    async def _empty_rss(self, request: web.Request) -> web.Response:
        return self._conditional(request, self._rss_document([]), "application/rss+xml")

    async def _rss10(self, request: web.Request) -> web.Response:
        body = f"""<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
  xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="{self.url("/")}"><title>Томские новости (RSS 1.0)</title><link>{self.url("/")}</link>
<description>Новости Томска</description>
<items><rdf:Seq><rdf:li rdf:resource="{self.url("/article/1")}"/></rdf:Seq></items></channel>
<item rdf:about="{self.url("/article/1")}"><title>{ARTICLE_TITLE}</title><link>{self.url("/article/1")}</link>
<description>Мост открыли после двух лет работ…</description>
<dc:date>2024-05-14T09:30:00+03:00</dc:date></item>
</rdf:RDF>""".encode()
        return web.Response(body=body, content_type="application/rdf+xml")

    async def _rss091(self, request: web.Request) -> web.Response:
        body = f"""<?xml version="1.0" encoding="windows-1251"?>
<rss version="0.91"><channel><title>Томские новости 0.91</title><link>{self.url("/")}</link>
<description>Новости</description><language>ru</language>
<item><title>{ARTICLE_TITLE}</title><link>{self.url("/article/1")}</link>
<description>Мост открыли после двух лет работ…</description></item>
</channel></rss>""".encode("cp1251")
        return web.Response(body=body, headers={"Content-Type": "text/xml"})

    async def _atom(self, request: web.Request) -> web.Response:
        body = f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Томские новости (Atom)</title>
<id>urn:tomsk-news</id><updated>2024-05-14T09:30:00+03:00</updated>
<link rel="alternate" href="{self.url("/")}"/>
<entry><id>urn:tomsk-news:1</id><title>{ARTICLE_TITLE}</title>
<link rel="alternate" href="/article/1"/>
<published>2024-05-14T09:30:00+03:00</published><updated>2024-05-14T10:00:00+03:00</updated>
<author><name>{ARTICLE_AUTHOR}</name></author>
<content type="html">{_escape("".join(f"<p>{p}</p>" for p in ARTICLE_BODY))}</content></entry>
</feed>""".encode()
        return self._conditional(request, body, "application/atom+xml")

    async def _json_feed(self, request: web.Request) -> web.Response:
        feed = {
            "version": "https://jsonfeed.org/version/1.1",
            "title": "Томские новости (JSON)",
            "home_page_url": self.url("/"),
            "items": [
                {
                    "id": "json-1",
                    "url": self.url("/article/1"),
                    "title": ARTICLE_TITLE,
                    "content_html": "".join(f"<p>{p}</p>" for p in ARTICLE_BODY),
                    "date_published": "2024-05-14T09:30:00+03:00",
                    "authors": [{"name": ARTICLE_AUTHOR}],
                },
                {
                    "id": "json-2",
                    "url": self.url("/article/2"),
                    "title": "Новость 2",
                    "summary": "Коротко о главном…",
                    "date_published": "2024-05-12T07:00:00Z",
                },
            ],
        }
        body = json.dumps(feed, ensure_ascii=False).encode()
        return self._conditional(request, body, "application/feed+json")

    async def _broken(self, request: web.Request) -> web.Response:
        # Cut off mid-document, the way a proxy timeout truncates a feed.
        body = self._rss_document([])[:120]
        return web.Response(body=body, content_type="application/rss+xml")


@pytest.fixture
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Use with `pytestmark = pytest.mark.usefixtures("loopback_only")` in modules that fetch."""
    return forbid_non_loopback_connections(monkeypatch)


@pytest_asyncio.fixture
async def site() -> AsyncIterator[LocalNewsSite]:
    async with LocalNewsSite() as running:
        yield running
