"""The ``newsdesk`` console script imports nothing but its launcher, so the parse workers (multiprocessing's spawn
re-imports the script that started the process) stay as small as the parser."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """\
import sys
from {module} import main  # noqa: F401  as the generated console script does


def probe(_: int) -> list[str]:
    return sorted(m for m in ("bot.cli", "sqlalchemy", "discord") if m in sys.modules)


if __name__ == "__main__":
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        print(list(pool.map(probe, [0]))[0])
"""


def worker_imports(tmp_path: Path, module: str) -> str:
    script = tmp_path / f"newsdesk_{module.replace('.', '_')}"
    script.write_text(SCRIPT.format(module=module))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_console_script_points_at_the_launcher() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["newsdesk"] == "bot.launch:main"


def test_a_spawned_worker_of_the_console_script_imports_none_of_the_bot(tmp_path: Path) -> None:
    assert worker_imports(tmp_path, "bot.launch") == "[]"
    # What the script pointing at bot.cli cost every worker:
    assert "sqlalchemy" in worker_imports(tmp_path, "bot.cli")
