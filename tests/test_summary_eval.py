"""The summaries eval scores every system with the same Cyrillic-aware ROUGE and reports held-out budgets."""

from __future__ import annotations

import pytest

from bot.eval.summaries import _cross_validated, rouge, tokens


def test_tokens_keep_cyrillic_lower_case_and_fold_yo() -> None:
    assert tokens("Ещё ЁЛКИ в Томске, 2024!") == ["еще", "елки", "в", "томске", "2024"]


def test_rouge_counts_words_pairs_and_the_longest_common_subsequence() -> None:
    r1, r2, rl = rouge("мэр открыл мост", "Мэр открыл новый мост")
    assert r1 == pytest.approx(2 * 1.0 * 0.75 / 1.75)
    assert r2 == pytest.approx(2 * 0.5 * (1 / 3) / (0.5 + 1 / 3))
    assert rl == pytest.approx(r1)


def test_rouge_l_follows_word_order_and_rouge_1_does_not() -> None:
    r1, _, rl = rouge("мост открыл мэр", "мэр открыл мост")
    assert r1 == pytest.approx(1.0)
    assert rl == pytest.approx(1 / 3)


def test_rouge_of_an_empty_summary_is_zero() -> None:
    assert rouge("", "мэр открыл мост") == (0.0, 0.0, 0.0)


def test_cross_validation_scores_each_item_under_a_budget_chosen_without_it() -> None:
    # Budget B is best overall only thanks to item 3: the fold holding item 3 out must choose A.
    n = 10
    a, b = (0.5, 0.5, 0.5), (0.4, 0.4, 0.4)
    grid = {(1, 100): [a] * n, (2, 200): [b] * n}
    grid[(2, 200)][3] = (9.0, 9.0, 9.0)
    held_out, chosen = _cross_validated(grid, n, folds=5)
    assert chosen == {(2, 200): 4, (1, 100): 1}
    assert held_out[3] == a
