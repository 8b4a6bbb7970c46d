"""The systemd unit works on a fresh clone as written: its paths match the repository and docs/deploying.md."""

from __future__ import annotations

import re
import shlex
from pathlib import Path, PurePosixPath

import pytest

from bot.cli.data import sqlite_file
from bot.config import load_config

ROOT = Path(__file__).parents[2]


def unit_settings() -> dict[str, list[str]]:
    """``Key=value`` lines of contrib/newsdesk.service; a key may repeat, as systemd allows."""
    settings: dict[str, list[str]] = {}
    for line in (ROOT / "contrib" / "newsdesk.service").read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.lstrip().startswith(("#", ";", "[")):
            key, value = line.split("=", 1)
            settings.setdefault(key.strip(), []).append(value.strip())
    return settings


def deploy_steps() -> list[list[str]]:
    """The shell commands of docs/deploying.md's deploy section (its ```sh blocks), each split into words."""
    text = (ROOT / "docs" / "deploying.md").read_text(encoding="utf-8")
    section = text.split("## Deploying to Discord", 1)[1].split("\n## ", 1)[0]
    commands: list[list[str]] = []
    for block in re.findall(r"```sh\n(.*?)```", section, re.DOTALL):
        for line in block.splitlines():
            for part in line.split("#", 1)[0].split("&&"):
                if part.strip():
                    commands.append(shlex.split(part))
    return commands


def steps_running(program: str) -> list[list[str]]:
    return [c for c in deploy_steps() if c and c[0] == program]


@pytest.fixture(scope="module")
def unit() -> dict[str, list[str]]:
    return unit_settings()


def one(unit: dict[str, list[str]], key: str) -> str:
    assert len(unit.get(key, [])) == 1, f"{key} set {len(unit.get(key, []))} times"
    return unit[key][0]


def test_exec_start_is_the_venvs_newsdesk_on_the_repositorys_config(unit: dict[str, list[str]]) -> None:
    home = PurePosixPath(one(unit, "WorkingDirectory"))
    program, *args = shlex.split(one(unit, "ExecStart"))
    assert PurePosixPath(program) == home / ".venv" / "bin" / "newsdesk"
    assert args[-1] == "run"
    config = PurePosixPath(args[args.index("--config") + 1])
    assert config.is_relative_to(home)
    assert (ROOT / config.relative_to(home)).is_file(), "the unit names a config file the repository does not have"
    # The deploy steps create that virtualenv and install newsdesk into it.
    venvs = [c for c in steps_running("python3") if c[1:3] == ["-m", "venv"]]
    assert [PurePosixPath(c[3]) for c in venvs] == [home / ".venv"]
    assert any(PurePosixPath(c[0]) == home / ".venv" / "bin" / "pip" and str(home) in c for c in deploy_steps())
    clones = [c for c in steps_running("git") if c[1] == "clone"]
    assert [PurePosixPath(c[-1]) for c in clones] == [home]


def test_the_only_writable_folder_holds_the_configs_database_and_the_readme_creates_it(
    unit: dict[str, list[str]],
) -> None:
    home = PurePosixPath(one(unit, "WorkingDirectory"))
    user, group = one(unit, "User"), one(unit, "Group")
    writable = PurePosixPath(one(unit, "ReadWritePaths").lstrip("-"))
    # The sample config's database, resolved as the bot resolves it, lies in that folder of the clone.
    config = load_config(ROOT / "config" / "newsdesk.yaml", env={})
    database = sqlite_file(config.storage_url)
    assert database is not None
    assert PurePosixPath(database.relative_to(ROOT)).parent == writable.relative_to(home)
    # ProtectSystem=strict makes everything else read-only, and systemd will not start with a missing folder.
    assert one(unit, "ProtectSystem") == "strict"
    made = [c for c in steps_running("install") if "-d" in c and PurePosixPath(c[-1]) == writable]
    assert len(made) == 1, "docs/deploying.md must create the unit's ReadWritePaths folder"
    step = made[0]
    assert step[step.index("-o") + 1] == user and step[step.index("-g") + 1] == group
    assert step[step.index("-m") + 1] == "0700"
    users = [c for c in steps_running("useradd") if c[-1] == user]
    assert len(users) == 1 and "--system" in users[0]


def test_the_environment_file_is_created_private_and_the_unit_enabled(unit: dict[str, list[str]]) -> None:
    env_file = one(unit, "EnvironmentFile").lstrip("-")
    made = [c for c in steps_running("install") if c[-1] == env_file]
    assert len(made) == 1 and made[0][made[0].index("-m") + 1] == "0600"
    copies = [c for c in steps_running("cp") if c[-1] == "/etc/systemd/system/newsdesk.service"]
    assert len(copies) == 1 and copies[0][1].endswith("contrib/newsdesk.service")
    assert ["systemctl", "enable", "--now", "newsdesk"] in deploy_steps()
    assert ["systemctl", "daemon-reload"] in deploy_steps()
