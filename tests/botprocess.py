"""The real bot as a subprocess, pointed at a FakeDiscord: shared by the end-to-end tests and the benchmarks."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from tests.fakediscord import FakeDiscord
from tests.fakediscord.control import PATIENCE

TOKEN = "e2e-secret-token-value"


class BotProcess:
    """The real ``python -m bot run`` process. Its log lines are collected for assertions."""

    def __init__(self, workdir: Path, fake: FakeDiscord, config: dict[str, Any]) -> None:
        self.workdir = workdir
        self.fake = fake
        self.config = config
        self.lines: list[str] = []
        self.proc: subprocess.Popen[str] | None = None
        self._lock = threading.Lock()

    @property
    def articles(self) -> Path:
        return self.workdir / "articles"

    def start(self, *, ready: bool = True, args: Sequence[str] = ()) -> BotProcess:
        """``args`` go after ``run`` (e.g. ``--shard-count 2 --shard-ids 0``)."""
        config_path = self.workdir / "newsdesk.yaml"
        config_path.write_text(yaml.safe_dump(self.config))
        env = {
            **os.environ,
            "DISCORD_TOKEN": TOKEN,
            "DISCORD_API_BASE": self.fake.api_base,
            "DISCORD_GATEWAY_URL": self.fake.gateway_url,
            "PYTHONUNBUFFERED": "1",
        }
        self.mark = len(self.lines)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "--config", str(config_path), "run", *args],
            cwd=self.workdir,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._pump, args=(self.proc,), daemon=True).start()
        if ready:
            self.wait_for_log("Watching ", since=self.mark)
            # Interactions are only handled once the guild is cached (on_ready), ~2 s after GUILD_CREATE.
            self.wait_for_log("Connected to Discord", since=self.mark)
        return self

    def _pump(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            with self._lock:
                self.lines.append(line.rstrip("\n"))

    def log_text(self) -> str:
        with self._lock:
            return "\n".join(self.lines)

    def wait_for_log(self, text: str, *, since: int = 0, timeout: float = PATIENCE) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                for line in self.lines[since:]:
                    if text in line:
                        return line
            if self.proc is not None and self.proc.poll() is not None:
                break
            time.sleep(0.02)
        raise AssertionError(f"bot never logged {text!r}; its output:\n{self.log_text()[-4000:]}")

    def stop(self) -> int:
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=PATIENCE)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        code = self.proc.returncode
        self.proc = None
        return code

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.proc = None
