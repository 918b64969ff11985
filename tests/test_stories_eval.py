"""The story eval's feature check (python -m bot.eval stories --features): a pair feature is weighed and
thresholded on the other folds only, so a feature that tells the pairs apart raises the held-out figure and
one that only adds noise does not."""

from __future__ import annotations

import random

from bot.digest.stories import DocumentFrequencies
from bot.eval.stories import (
    _capitalised_names,
    _cross_validated,
    _feature_cross_validated,
    _name_overlap,
)


def pairs(count: int, seed: int) -> list[tuple[float, bool, dict]]:
    """Same-story pairs whose cosine says little (half of them low), and a feature stored in the pair."""
    chooser = random.Random(seed)
    scored = []
    for i in range(count):
        gold = i % 2 == 0
        cosine = chooser.uniform(0.1, 0.9)  # no information in the cosine
        pair = {"lang": "ru", "first": {"gold": gold, "noise": chooser.random()}, "second": {}}
        scored.append((cosine, gold, pair))
    return scored


def test_a_feature_that_separates_the_pairs_is_taken_and_noise_is_not() -> None:
    scored = pairs(40, seed=3)
    telling = _feature_cross_validated(scored, lambda a, b: 1.0 if a["gold"] else 0.0, ("ru",))
    noise = _feature_cross_validated(scored, lambda a, b: a["noise"], ("ru",))
    assert telling["ru"] > 0.95
    assert noise["ru"] < 0.75


def test_a_template_conflict_stays_one_whatever_the_feature() -> None:
    """A pair continuation refused (scored 0) is not brought back by the feature, even one that would."""

    def pair(feature: float) -> dict:
        return {"lang": "ru", "first": {"f": feature}, "second": {}}

    scored = [(0.0, True, pair(1.0))] * 5 + [(0.3, False, pair(0.0))] * 5 + [(0.6, True, pair(1.0))] * 5
    validated = _feature_cross_validated(scored, lambda a, b: a["f"], ("ru",))
    assert validated["ru"] <= 10 / 15


def test_names_of_the_headline_and_lead() -> None:
    names = _capitalised_names(
        "Водолазы нашли череп в Мойке", "Поиски вёл СК по делу доцента СПбГУ Олега Соколова. Потом был обед."
    )
    assert {"мойк", "ск", "спбгу", "олег", "соколов"} <= names
    assert "водолаз" not in names and "поиск" not in names  # a sentence's first word is not a name
    frequencies = DocumentFrequencies(100, {"мойк": 1, "олег": 50})
    assert _name_overlap({"мойк", "олег"}, {"мойк"}, frequencies) == 1.0
    assert 0 < _name_overlap({"мойк", "олег"}, {"олег", "ленинград"}, frequencies) < 0.5
    assert _name_overlap(set(), {"мойк"}, frequencies) == 0.0


def test_one_threshold_for_both_languages_is_scored_per_language() -> None:
    # Russian pairs split at 0.3, English at 0.6: each language alone is separable, one threshold is not.
    rng = random.Random(5)
    golds = [True, False] * 20
    ru = [(rng.uniform(0.3, 0.5) if g else rng.uniform(0.0, 0.25), g, {"lang": "ru"}) for g in golds]
    en = [(rng.uniform(0.6, 0.9) if g else rng.uniform(0.35, 0.55), g, {"lang": "en"}) for g in golds]
    alone, _ = _cross_validated(ru + en)
    together, chosen = _cross_validated(ru + en, one_threshold=True)
    (low, high) = chosen["all"]
    assert alone == {"en": 1.0, "ru": 1.0}
    assert together["ru"] < 1.0 or together["en"] < 1.0  # one threshold cannot split both
    assert 0.25 <= low <= high <= 0.6
    # where one threshold does split both, it scores them fully
    shifted = [(score + 0.3, same, pair) for score, same, pair in ru]
    assert _cross_validated(shifted + en, one_threshold=True)[0] == {"en": 1.0, "ru": 1.0}
