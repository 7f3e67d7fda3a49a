"""LoopState's record of the best validation value."""

from __future__ import annotations

from x2ct.training.state import LoopState


def test_lower_is_better_keeps_the_smallest_value_and_its_epoch():
    state = LoopState()
    assert not state.record_validation(None, True, 1)
    assert state.record_validation(0.5, True, 2)
    assert not state.record_validation(0.5, True, 3)  # a tie is not an improvement
    assert not state.record_validation(0.7, True, 4)
    assert state.record_validation(0.4, True, 5)
    assert (state.best_value, state.best_epoch) == (0.4, 5)


def test_higher_is_better_keeps_the_largest_value():
    state = LoopState()
    assert state.record_validation(20.0, False, 1)
    assert not state.record_validation(19.0, False, 2)
    assert state.record_validation(21.0, False, 3)
    assert (state.best_value, state.best_epoch) == (21.0, 3)
