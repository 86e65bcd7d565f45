"""Text corruptions: typos, case, whitespace and punctuation, at five severities.

These are the surface changes a person reads straight through and a model may not: the
invariance tests of CheckList (Ribeiro, Wu, Guestrin, Singh, ACL 2020) and the keyboard typos
of Belinkov and Bisk ("Synthetic and Natural Noise Both Break Neural Machine Translation",
ICLR 2018). Each corruption touches each word (or each gap between words) independently with
probability :data:`WORD_RATES` ``[severity - 1]``, so severity is the share of the text that
changes. Meaning is kept on purpose: no synonyms, no word drops, nothing a reader would stumble
over.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from failmodes.corruptions import check_severity

#: Probability that one word (or gap, for whitespace) is corrupted, per severity 1–5.
WORD_RATES = (0.05, 0.1, 0.2, 0.3, 0.5)

_KEY_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_TOKENS = re.compile(r"\s+|\S+")
_INSERTED_MARKS = ".,;:!?'-"


def _keyboard_neighbours() -> dict[str, str]:
    """Keys next to each letter on a QWERTY keyboard (rows are offset by half a key, so a key
    touches two keys in the row above and two in the row below)."""
    where = {key: (r, i) for r, row in enumerate(_KEY_ROWS) for i, key in enumerate(row)}
    steps = ((0, -1), (0, 1), (-1, 0), (-1, 1), (1, -1), (1, 0))
    neighbours = {}
    for key, (r, i) in where.items():
        near = [
            _KEY_ROWS[r + dr][i + di]
            for dr, di in steps
            if 0 <= r + dr < len(_KEY_ROWS) and 0 <= i + di < len(_KEY_ROWS[r + dr])
        ]
        neighbours[key] = "".join(near)
    return neighbours


#: The QWERTY neighbours of each lowercase letter.
NEIGHBOURS = _keyboard_neighbours()

TextCorruption = Callable[[Sequence[str], int, np.random.Generator], list[str]]


def typo(word: str, rng: np.random.Generator) -> str:
    """One keyboard slip in ``word``: a neighbouring key, a dropped letter or two letters
    swapped. A word with a letter always changes; one without (``"42"``) is returned as is."""
    letters = [i for i, c in enumerate(word) if c.lower() in NEIGHBOURS]
    if not letters:
        return word
    i = letters[int(rng.integers(len(letters)))]
    kind = int(rng.integers(3))
    if kind == 1 and len(word) > 1:  # a one-letter word would vanish, not be misspelt
        return word[:i] + word[i + 1 :]
    j = i if i + 1 < len(word) else i - 1
    if kind == 2 and j >= 0 and word[j] != word[j + 1]:
        return word[:j] + word[j + 1] + word[j] + word[j + 2 :]
    near = NEIGHBOURS[word[i].lower()]
    key = near[int(rng.integers(len(near)))]
    return word[:i] + (key.upper() if word[i].isupper() else key) + word[i + 1 :]


def _map_words(
    texts: Sequence[str],
    severity: int,
    rng: np.random.Generator,
    change: Callable[[str, np.random.Generator], str],
) -> list[str]:
    rate = WORD_RATES[check_severity(severity)]
    out = []
    for text in texts:
        parts = _TOKENS.findall(text)
        out.append(
            "".join(
                change(part, rng) if not part.isspace() and rng.random() < rate else part
                for part in parts
            )
        )
    return out


def typos(texts: Sequence[str], severity: int, rng: np.random.Generator) -> list[str]:
    """Keyboard typos (:func:`typo`) in a share of the words."""
    return _map_words(texts, severity, rng, typo)


def _recase(word: str, rng: np.random.Generator) -> str:
    options = [w for w in (word.upper(), word.lower(), word.swapcase(), word.title()) if w != word]
    return options[int(rng.integers(len(options)))] if options else word


def case_changes(texts: Sequence[str], severity: int, rng: np.random.Generator) -> list[str]:
    """Words turned to upper, lower, swapped or title case, as shouting, caps lock and
    careless typing do."""
    return _map_words(texts, severity, rng, _recase)


def whitespace(texts: Sequence[str], severity: int, rng: np.random.Generator) -> list[str]:
    """Gaps between words dropped (words run together) or doubled, half of each."""
    rate = WORD_RATES[check_severity(severity)]
    out = []
    for text in texts:
        parts = []
        for part in _TOKENS.findall(text):
            if part.isspace() and rng.random() < rate:
                parts.append("" if rng.random() < 0.5 else part + part)
            else:
                parts.append(part)
        out.append("".join(parts))
    return out


def _repunctuate(word: str, rng: np.random.Generator) -> str:
    kept = "".join(c for c in word if c not in string.punctuation)
    if kept != word:
        return kept
    return word + _INSERTED_MARKS[int(rng.integers(len(_INSERTED_MARKS)))]


def punctuation(texts: Sequence[str], severity: int, rng: np.random.Generator) -> list[str]:
    """Punctuation stripped from a word that has some, or a stray mark added after one that
    has none."""
    return _map_words(texts, severity, rng, _repunctuate)


#: The text corruptions by name.
TEXT_CORRUPTIONS: Mapping[str, TextCorruption] = {
    "typo": typos,
    "case": case_changes,
    "whitespace": whitespace,
    "punctuation": punctuation,
}
