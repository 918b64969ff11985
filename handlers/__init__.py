"""aiogram routers, one module per feature; the order here is the order updates try them."""

from aiogram import Router

from handlers import (
    access,
    admin,
    alerts,
    articles,
    channels,
    common,
    fallback,
    feeds,
    ingest,
    inline,
    links,
    membership,
    subscriptions,
    timeline,
    who,
)


def create_routers() -> list[Router]:
    """Fresh routers for one Dispatcher (a router attaches to one parent only)."""
    # Admin routers filter on ADMIN_IDS; whatever they let through reaches the fallback's refusals.
    # feeds before ingest: an .opml document is a feed list, not articles; links after it.
    routers = (
        common,
        articles,
        who,
        timeline,
        subscriptions,
        alerts,
        feeds,
        ingest,
        links,
        admin,
        access,
        channels,
        inline,
        membership,
        fallback,
    )
    return [m.create_router() for m in routers]
