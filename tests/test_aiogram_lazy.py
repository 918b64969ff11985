"""aiogram's types are built on first use (bot/aiogram_lazy.py), and lazily built types still work."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from aiogram.methods import SendMessage
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.aiogram_lazy import built_type_count


def test_importing_aiogram_builds_few_types() -> None:
    # A fresh interpreter: this one has built more types while other tests ran.
    code = textwrap.dedent(
        """
        import bot.app
        from bot.aiogram_lazy import built_type_count
        print(*built_type_count())
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    built, total = map(int, out.split())
    assert total > 300
    assert built < total // 10


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
