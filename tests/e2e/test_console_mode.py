"""Console mode (no DISCORD_TOKEN) as the real process: Ctrl+C says it stopped, in one line, and exits 0."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

READY = "Ctrl+C stops."


def test_ctrl_c_in_console_mode_says_it_stopped(tmp_path: Path) -> None:
    articles = tmp_path / "articles"
    articles.mkdir()  # empty: no post's log line can race the signal
    config = tmp_path / "newsdesk.yaml"
    config.write_text(f"articles: {{path: {articles}}}\nstorage: {{url: 'sqlite:///{tmp_path / 'n.db'}'}}\n")
    env = {k: v for k, v in os.environ.items() if k not in ("DISCORD_TOKEN", "NEWSDESK_STORAGE_URL")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "--config", str(config), "run"],
        cwd=tmp_path,  # no .env here: console mode for sure
        env={**env, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    before = []
    for line in proc.stderr:  # the pytest timeout is the bound, should the process never get ready
        before.append(line)
        if READY in line:
            break
    assert any(READY in line for line in before), "".join(before)
    proc.send_signal(signal.SIGINT)
    after = proc.stderr.read()
    assert proc.wait() == 0, after
    said = [line.split(": ", 1)[-1] for line in after.splitlines()]
    assert said == ["Console mode stopped"], after
