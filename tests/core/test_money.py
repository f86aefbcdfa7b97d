"""Money arithmetic: exact integer rounding, half up."""

from __future__ import annotations

import pytest

from salamin.core import money


def test_round_half_up_is_exact_on_integers() -> None:
    assert money.round_half_up(5, 2) == 3  # 2.5 -> 3
    assert money.round_half_up(7, 2) == 4  # 3.5 -> 4
    assert money.round_half_up(4, 3) == 1  # 1.33 -> 1
    assert money.round_half_up(5, 3) == 2  # 1.67 -> 2
    assert money.round_half_up(0, 7) == 0
    with pytest.raises(ValueError):
        money.round_half_up(-1, 2)
