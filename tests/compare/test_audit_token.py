"""audit_match's whole-token search (a plain search since the plan-speed change) agrees with
the case-insensitive regex it replaced, on random names and texts."""

from __future__ import annotations

import random
import re

from sfenv.core.compare.audit_match import _token


def _regex(word: str, text: str) -> bool:
    pattern = r"(?<![A-Za-z0-9_])" + re.escape(word) + r"(?![A-Za-z0-9_])"
    return bool(word) and re.search(pattern, text, re.IGNORECASE) is not None


def test_token_search_agrees_with_the_regex():
    rng = random.Random(3)
    alphabet = "aAbB_ 1(.)-é"
    for _ in range(20_000):
        word = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 3)))
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        assert _token(word, text) == _regex(word, text), (word, text)


def test_a_field_name_inside_a_longer_name_is_not_a_token():
    assert _token("Region__c", "Changed Region__c on Account")
    assert not _token("Region", "Changed Region_Format validation rule")
    assert _token("payment terms", "Created custom field Payment Terms (Picklist)")
