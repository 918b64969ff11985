"""Build aiogram's Telegram types when first used instead of all at import.

``import aiogram`` builds a pydantic validator and serializer for each of its ~440 types: 154 MB of
the bot's ~200 MB at start, measured with psutil around the import (aiogram 3.31, pydantic 2.13;
upstream issue aiogram#1513), and 3.5 s of import time in aiogram.types (`python -X importtime`).
The types already say ``defer_build=True``, but
``aiogram/types/__init__.py`` then calls ``model_rebuild`` on every one of them to resolve their
forward references. This module keeps the namespace that call passes and returns without building;
pydantic builds a type the first time it validates or serialises one, resolving its references
with that namespace. The import then takes ~60 MB (measured the same way).

It must act before anything imports aiogram, so ``bot/__init__.py`` installs it: an import hook that
patches pydantic at the moment aiogram is first imported (the analysis workers never import aiogram
and so never load pydantic for it).
"""

from __future__ import annotations

import importlib.abc
import sys
from typing import Any

# Every forward reference aiogram's types use, as aiogram passes them to model_rebuild.
_types_namespace: dict[str, Any] = {}


def _patch_model_rebuild() -> None:
    from pydantic import BaseModel

    original = BaseModel.model_rebuild.__func__  # type: ignore[attr-defined]

    def model_rebuild(cls: Any, **kwargs: Any) -> bool | None:
        if cls.__module__.startswith("aiogram."):
            namespace = kwargs.get("_types_namespace")
            if namespace is not None and not kwargs.get("force"):
                _types_namespace.update(namespace)  # aiogram's eager rebuild at import: defer it
                return None
            if namespace is None:
                kwargs["_types_namespace"] = _types_namespace  # a lazy build on first use
        return original(cls, **kwargs)

    BaseModel.model_rebuild = classmethod(model_rebuild)  # type: ignore[assignment, method-assign]


class _BeforeAiogram(importlib.abc.MetaPathFinder):
    """Patches pydantic once, when ``aiogram`` is about to be imported; finds nothing itself."""

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> None:
        if fullname == "aiogram":
            sys.meta_path.remove(self)
            _patch_model_rebuild()
        return None


def defer_aiogram_type_building() -> None:
    """Install the hook; a no-op when aiogram is already imported (its types are built by then)."""
    if "aiogram" in sys.modules or any(isinstance(f, _BeforeAiogram) for f in sys.meta_path):
        return
    sys.meta_path.insert(0, _BeforeAiogram())


# The types every update and reply goes through: built before polling starts, so that the first user
# does not wait for them (Update alone takes ~130 ms to build here).
EVERY_UPDATE = ("Update", "Message", "CallbackQuery", "User", "Chat", "InlineKeyboardMarkup")


def build_common_types() -> None:
    """Build the types every update needs now, at start-up, not on the first update."""
    import aiogram.types

    for name in EVERY_UPDATE:
        getattr(aiogram.types, name).model_rebuild()


def built_type_count() -> tuple[int, int]:
    """(built, total) aiogram Telegram types: what the deferral saves, for tests and benchmarks."""
    import aiogram.types

    types = [
        t for name in aiogram.types.__all__ if hasattr(t := getattr(aiogram.types, name), "model_rebuild")
    ]
    return sum(1 for t in types if t.__pydantic_complete__), len(types)
