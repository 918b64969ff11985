"""aiogram routers, one module per feature; the order here is the order updates try them."""

from aiogram import Router

from handlers import admin, articles, common, fallback, ingest


def create_routers() -> list[Router]:
    """Fresh routers for one Dispatcher (a router attaches to one parent only)."""
    # Admin routers filter on ADMIN_IDS; whatever they let through reaches the fallback's refusals.
    return [m.create_router() for m in (common, articles, ingest, admin, fallback)]
