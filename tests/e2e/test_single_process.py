"""With SQLite the bot stays one process: a second ``newsdesk run`` on the same file exits at once, saying why."""

from __future__ import annotations

from collections.abc import Callable

from tests.botprocess import BotProcess
from tests.fakediscord.control import PATIENCE


def test_a_second_run_on_the_same_sqlite_file_exits_at_once(make_bot: Callable[..., BotProcess]) -> None:
    first = make_bot().start()
    second = make_bot()
    second.start(ready=False)
    assert second.proc is not None
    code = second.proc.wait(timeout=PATIENCE)
    assert code == 2
    text = second.log_text()
    assert "another newsdesk run is already using this SQLite database" in text
    assert "use PostgreSQL" in text
    assert "Traceback" not in text
    # The first one carries on, untouched.
    assert first.proc is not None and first.proc.poll() is None
