"""Login throttling per address, per username and per both."""

from __future__ import annotations

from web.ratelimit import ADDRESS_FACTOR, USERNAME_FACTOR, LoginLimiter, client_key, login_keys


def test_login_limiter_blocks_after_the_limit_and_forgets_after_the_window() -> None:
    now = [0.0]
    limiter = LoginLimiter(max_failures=2, window_s=60, clock=lambda: now[0])
    limiter.failed(["ip:1"])
    assert not limiter.blocked(["ip:1"])
    limiter.failed(["ip:1"])
    assert limiter.blocked(["ip:1", "user:ani"])
    now[0] = 61
    assert not limiter.blocked(["ip:1"])


def test_login_limiter_counts_an_attempt_before_its_password_is_checked() -> None:
    now = [0.0]
    limiter = LoginLimiter(max_failures=3, window_s=60, clock=lambda: now[0])
    keys = ["ip:1", "user:ani"]
    # ten attempts under way at once: only three get to check a password
    marks = [limiter.attempt(keys) for _ in range(10)]
    assert sum(m is not None for m in marks) == 3
    # one of them was right: its attempt is taken back, the username forgotten
    limiter.succeeded(keys, marks[0], forget=["user:ani"])
    assert limiter.attempt(["ip:1", "user:ani"]) is not None
    assert limiter.attempt(["ip:1"]) is None


def test_login_limiter_memory_is_bounded_by_its_key_count() -> None:
    now = [0.0]
    limiter = LoginLimiter(max_failures=3, window_s=60, clock=lambda: now[0], max_keys=1_000)
    for n in range(50_000):
        limiter.failed([f"user:made-up-{n}"])
        now[0] += 0.0001
    assert len(limiter) <= 1_000
    # the newest are still counted
    limiter.failed(["user:made-up-49999"] * 2)
    assert limiter.blocked(["user:made-up-49999"])
    now[0] += 61
    assert not limiter.blocked(["user:made-up-49999"])


def test_a_strangers_wrong_guesses_do_not_lock_out_a_user_behind_the_same_address() -> None:
    now = [0.0]
    limiter = LoginLimiter(max_failures=5, window_s=300, clock=lambda: now[0])
    office = "10.0.0.1"
    for _ in range(5):  # someone at the office tries a made-up name five times
        assert limiter.attempt(login_keys(office, "tamu", 5)) is not None
    assert limiter.blocked(login_keys(office, "tamu", 5))
    # warga, at the next desk, signs in with the right password
    mark = limiter.attempt(login_keys(office, "warga", 5))
    assert mark is not None
    limiter.succeeded(login_keys(office, "warga", 5), mark, forget=[f"pair:{office}|warga"])
    assert not limiter.blocked(login_keys(office, "warga", 5))


def test_guessing_is_still_refused_per_account_per_address_and_per_username() -> None:
    now = [0.0]
    limiter = LoginLimiter(max_failures=5, window_s=300, clock=lambda: now[0])

    def tries(address: str, username: str) -> int:
        passed = 0
        while limiter.attempt(login_keys(address, username, 5)) is not None:
            passed += 1
        return passed

    assert tries("10.0.0.2", "warga") == 5  # one account from one address
    # many made-up names from one address: the address's cap
    assert sum(tries("10.0.0.3", f"nama-{n}") for n in range(20)) == 5 * ADDRESS_FACTOR
    # one account from many addresses: the username's cap (warga has 5 of them used)
    assert sum(tries(f"10.1.0.{n}", "warga") for n in range(20)) == 5 * USERNAME_FACTOR - 5
    # one IPv6 subscriber is one address, whichever of its /64 it sends from
    assert sum(tries(f"2001:db8:1:2::{n:x}", f"orang-{n}") for n in range(80)) == (
        5 * ADDRESS_FACTOR)
    assert client_key("::ffff:10.0.0.9") == "10.0.0.9" and client_key("unknown") == "unknown"
    now[0] = 301  # the window passes: everyone may try again
    assert limiter.attempt(login_keys("10.0.0.2", "warga", 5)) is not None
