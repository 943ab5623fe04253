"""Failed sign-ins lock a user or an address for a time that doubles, up to a ceiling."""

from datetime import timedelta

from services.identity.throttling import PER_ADDRESS, PER_USER


def test_a_user_may_fail_four_times_before_the_first_lock() -> None:
    assert [PER_USER.lock_for(n) for n in range(1, 5)] == [None] * 4
    assert PER_USER.lock_for(5) == timedelta(minutes=1)


def test_each_further_failure_doubles_the_lock_up_to_fifteen_minutes() -> None:
    locks = [PER_USER.lock_for(n) for n in range(5, 12)]
    assert locks[:4] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert set(locks[4:]) == {timedelta(minutes=15)}
    assert PER_USER.lock_for(10_000) == timedelta(minutes=15)


def test_an_address_is_allowed_more_failures_than_a_user() -> None:
    assert PER_ADDRESS.lock_for(19) is None and PER_ADDRESS.lock_for(20) is not None
