from __future__ import annotations

import pytest

from cveval_upload.admission import ByteBudget, ServiceBusy


def test_reservations_share_one_budget_and_release_on_exit() -> None:
    budget = ByteBudget(100, retry_after_s=3)
    with budget.reserve(60):
        with pytest.raises(ServiceBusy, match="retry in 3 s") as refused:
            budget.reserve(50)
        assert refused.value.retry_after_s == 3
        assert budget.in_use == 60
    assert budget.in_use == 0
    with budget.reserve(100):
        pass


def test_a_streamed_reservation_grows_until_refused_and_gives_back_everything() -> None:
    budget = ByteBudget(100, retry_after_s=1)
    with pytest.raises(ServiceBusy), budget.reserve(0) as reservation:
        for _ in range(20):
            reservation.grow(10)
    assert budget.in_use == 0
