"""Progress: plain lines off a terminal, a rich bar on one, silence when quiet."""

import io
import time

import pytest

from ipsecon import progress
from ipsecon.progress import Progress, track


@pytest.fixture(autouse=True)
def not_quiet():
    """Progress defaults to the process-wide quiet flag: start each test from the default."""
    progress.set_quiet(False)
    yield
    progress.set_quiet(False)


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_plain_lines_start_every_tenth_and_done():
    out = io.StringIO()
    with Progress("PSA samples", total=1000, stream=out) as bar:
        assert bar.mode == "plain"
        for _ in range(1000):
            bar.advance()
    lines = out.getvalue().splitlines()
    assert lines[0] == "PSA samples: started, 1,000 to do"
    assert len(lines) == 11  # start, 10 % … 90 %, done
    assert lines[1].startswith("PSA samples: 100/1,000 (10%)") and "left" in lines[1]
    assert lines[-1].startswith("PSA samples: done, 1,000 in ") and lines[-1].endswith(" s")


def test_big_steps_do_not_repeat_lines():
    out = io.StringIO()
    with Progress("chunks", total=10, stream=out) as bar:
        bar.advance(7)  # jumps past 10 … 70 %: one line, not seven
        bar.advance(3)
    lines = out.getvalue().splitlines()
    assert len(lines) == 3 and "(70%)" in lines[1]


def test_unknown_total_and_failure():
    out = io.StringIO()
    with pytest.raises(RuntimeError):
        with Progress("sweep", stream=out) as bar:
            bar.advance(3)
            raise RuntimeError("boom")
    lines = out.getvalue().splitlines()
    assert lines[0] == "sweep: started" and len(lines) == 2
    assert lines[1].startswith("sweep: stopped after 3 (")


def test_quiet_prints_nothing_and_set_quiet_is_the_default(capsys):
    out = io.StringIO()
    with Progress("x", total=5, quiet=True, stream=out) as bar:
        for _ in bar.iterate(range(5)):
            pass
    assert out.getvalue() == "" and bar.completed == 5
    progress.set_quiet(True)
    try:
        assert list(track(range(3), "y")) == [0, 1, 2]
    finally:
        progress.set_quiet(False)
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


def test_rich_bar_on_a_terminal():
    out = FakeTerminal()
    with Progress("PSA samples", total=50, stream=out) as bar:
        assert bar.mode == "rich"
        for _ in range(50):
            bar.advance()
    text = out.getvalue()
    assert "PSA samples" in text and "50/50" in text


def test_advance_is_cheap():
    out = io.StringIO()
    start = time.perf_counter()
    with Progress("many", total=100_000, stream=out) as bar:
        for _ in range(100_000):
            bar.advance()
    assert time.perf_counter() - start < 1.0
    assert len(out.getvalue().splitlines()) == 11


def test_slow_step_speaks_only_when_slow():
    import io
    import time

    from ipsecon.progress import slow_step

    quick, slow = io.StringIO(), io.StringIO()
    with slow_step("quick step", after=0.5, quiet=False, stream=quick):
        pass
    with slow_step("slow step", after=0.05, quiet=False, stream=slow):
        time.sleep(0.3)
    assert quick.getvalue() == ""
    lines = slow.getvalue().splitlines()
    assert lines[0] == "slow step: working …" and lines[1].startswith("slow step: done in ")
    silent = io.StringIO()
    with slow_step("quiet step", after=0.01, quiet=True, stream=silent):
        time.sleep(0.05)
    assert silent.getvalue() == ""
