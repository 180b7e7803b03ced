"""Text people type that others will read: one Unicode spelling, and nothing hidden in it.

Two strings that look the same must be the same: text is NFC-normalized before it is compared
or stored. Characters that cannot be seen, or that reorder what is around them (bidirectional
overrides, zero-width spaces, a byte-order mark, blank "letters"), are refused where people and
addresses are named, so "admin" cannot hide a second, different "admin" and a name cannot show
its text backwards.
"""

from __future__ import annotations

import unicodedata

# Format (Cf) and control (Cc) characters, line and paragraph separators, lone surrogates and
# private-use characters render as nothing, or as something other than they are.
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co"})
# Letters and symbols that render blank (the Hangul fillers, the braille blank).
_BLANK = frozenset("\u115f\u1160\u3164\uffa0\u2800")
# Zero-width non-joiner and joiner: needed to spell words in Persian, Indic scripts and emoji.
JOINERS = frozenset("\u200c\u200d")


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def hidden_character(text: str, *, allow_joiners: bool = False) -> str | None:
    """The first invisible or bidirectional-control character of `text`, as `U+202E`; None if there is none."""
    if text.isascii() and text.isprintable():
        return None
    for char in text:
        if allow_joiners and char in JOINERS:
            continue
        if char in _BLANK or unicodedata.category(char) in _HIDDEN_CATEGORIES:
            return f"U+{ord(char):04X}"
    return None
