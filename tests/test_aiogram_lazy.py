"""aiogram's types are built on first use (bot/telegram/lazy_types.py), and lazily built types still work."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from aiogram.methods import SendMessage
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.telegram.lazy_types import built_type_count


def test_importing_aiogram_builds_few_types() -> None:
    # A fresh interpreter: this one has built more types while other tests ran.
    code = textwrap.dedent(
        """
        import bot.app  # first, as in the bot: the hook is installed before aiogram is imported
        import aiogram.types
        from bot.telegram.lazy_types import EVERY_UPDATE, build_common_types, built_type_count
        print(*built_type_count())
        build_common_types()  # what the bot does before polling
        print(*built_type_count(), all(getattr(aiogram.types, n).__pydantic_complete__ for n in EVERY_UPDATE))
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    at_import, at_start = out.splitlines()
    built, total = map(int, at_import.split())
    assert total > 300
    assert built < total // 10
    built_at_start, _, common_built = at_start.split()
    assert common_built == "True" and int(built_at_start) < total // 10


def test_lazily_built_types_validate_and_serialise() -> None:
    update = Update.model_validate(
        {
            "update_id": 7,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": 5, "type": "private"},
                "from": {"id": 5, "is_bot": False, "first_name": "Аня"},
                "text": "/who Лавров",
                "reply_to_message": {
                    "message_id": 2,
                    "date": 0,
                    "chat": {"id": 5, "type": "private"},
                    "photo": [{"file_id": "f", "file_unique_id": "u", "width": 1, "height": 1}],
                },
            },
        }
    )
    assert update.message is not None and update.message.from_user is not None
    assert update.message.from_user.first_name == "Аня"
    assert update.message.reply_to_message is not None
    assert update.message.reply_to_message.photo is not None
    assert update.message.reply_to_message.photo[0].file_id == "f"
    markup = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="a", callback_data="b")]])
    dumped = SendMessage(chat_id=5, text="x", reply_markup=markup).model_dump(exclude_none=True)
    assert dumped["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "b"
    built, total = built_type_count()
    assert 0 < built < total
