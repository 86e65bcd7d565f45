"""Text corruptions: one slip per touched word, meaning kept, amount set by severity."""

from __future__ import annotations

import string

import numpy as np
import pytest

from failmodes.corruptions.text import NEIGHBOURS, TEXT_CORRUPTIONS, WORD_RATES, typo

SENTENCES = [
    "The delivery arrived two days late, and the box was damaged.",
    "Great service; the staff were friendly and quick!",
    "I would not recommend this hotel to anyone.",
    "Battery life is fine but the screen scratches easily.",
] * 50


def words(text: str) -> list[str]:
    return text.split()


def test_keyboard_neighbours() -> None:
    assert set(NEIGHBOURS["a"]) == set("qwsz")
    assert set(NEIGHBOURS["g"]) == set("tyfhvb")
    assert set(NEIGHBOURS["p"]) == set("ol")


def test_a_typo_is_one_keyboard_slip() -> None:
    rng = np.random.default_rng(0)
    for word in ["delivery", "Great", "a", "scratches"] * 25:
        slipped = typo(word, rng)
        assert slipped != word
        if len(slipped) == len(word):
            diff = [i for i, (a, b) in enumerate(zip(word, slipped, strict=True)) if a != b]
            substituted = (
                len(diff) == 1 and slipped[diff[0]].lower() in NEIGHBOURS[word[diff[0]].lower()]
            )
            swapped = len(diff) == 2 and sorted(word) == sorted(slipped)
            assert substituted or swapped
        else:
            assert len(slipped) == len(word) - 1
    assert typo("2024", rng) == "2024"


@pytest.mark.parametrize("name", list(TEXT_CORRUPTIONS))
def test_length_kept_deterministic_and_severity_graded(name: str) -> None:
    corrupt = TEXT_CORRUPTIONS[name]
    out = corrupt(SENTENCES, 3, np.random.default_rng(1))
    assert len(out) == len(SENTENCES)
    assert out == corrupt(SENTENCES, 3, np.random.default_rng(1))

    def changed_share(severity: int) -> float:
        done = corrupt(SENTENCES, severity, np.random.default_rng(2))
        return float(np.mean([a != b for a, b in zip(SENTENCES, done, strict=True)]))

    assert changed_share(1) < changed_share(3) < changed_share(5)


def test_typos_touch_the_stated_share_of_words() -> None:
    out = TEXT_CORRUPTIONS["typo"](SENTENCES, 5, np.random.default_rng(3))
    pairs = [
        (a, b)
        for before, after in zip(SENTENCES, out, strict=True)
        for a, b in zip(words(before), words(after), strict=True)
    ]
    assert np.mean([a != b for a, b in pairs]) == pytest.approx(WORD_RATES[4], abs=0.04)


def test_case_whitespace_and_punctuation_change_only_their_part() -> None:
    rng = np.random.default_rng(4)
    squeeze = str.maketrans("", "", string.whitespace)
    strip = str.maketrans("", "", string.punctuation)
    for before, after in zip(SENTENCES, TEXT_CORRUPTIONS["case"](SENTENCES, 5, rng), strict=True):
        assert after.lower() == before.lower()
    for before, after in zip(
        SENTENCES, TEXT_CORRUPTIONS["whitespace"](SENTENCES, 5, rng), strict=True
    ):
        assert after.translate(squeeze) == before.translate(squeeze)
    for before, after in zip(
        SENTENCES, TEXT_CORRUPTIONS["punctuation"](SENTENCES, 5, rng), strict=True
    ):
        assert words(after.translate(strip)) == words(before.translate(strip))
