"""The docs name only what exists: every CLI command and option, config key, slash command and option, and
relative link in README.md and docs/*.md is checked against the real parser, config schema and command tree.

Each check asks the code itself (``newsdesk --help``, ``parse_config`` on a config holding just that key, the
cogs' command classes), so a renamed key or command fails here until the docs follow.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import inspect
import io
import pkgutil
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from discord import app_commands
from discord.ext import commands

from bot.cli import main as cli_main
from bot.config import parse_config
from bot.newsbot import extension_names

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
README_LIMIT = 12_000

_FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
_SPAN = re.compile(r"`([^`\n]+)`")
_CLI = re.compile(
    r"(?:^|/bin/)newsdesk\s+(?:\[--config PATH\]\s+|--config\s+\S+\s+)?(?P<cmd>[a-z][\w-]*)(?P<rest>[^#`\n]*)"
)
_OPTION = re.compile(r"(?<![\w-])--[a-z][\w-]*")
_KEY = re.compile(r"^(?P<key>[a-z_]+(?:\[\d*\])?(?:\.(?:[a-z_]+|<[a-z]+>)(?:\[\d*\])?)+)(?=$|[\s:(])")
_SLASH = re.compile(r"(?<![\w/.:~<@-])/(?P<name>[a-z][\w-]*)(?![\w/.{])")
_LINK = re.compile(r"\]\((?P<target>[^)\s]+)\)")
# Paths, not slash commands: the metrics server's (``GET /healthz``, ``GET /metrics``) and Linux's ``/proc``.
NOT_COMMANDS = {"healthz", "metrics", "proc"}


# --- what exists ---------------------------------------------------------------------------------------------


@functools.cache
def cli_help(command: str | None = None) -> str:
    out = io.StringIO()
    with contextlib.suppress(SystemExit), contextlib.redirect_stdout(out):
        cli_main([command, "--help"] if command else ["--help"])
    return out.getvalue()


@functools.cache
def cli_commands() -> frozenset[str]:
    return frozenset(re.findall(r"^ {4}([a-z][\w-]*)\b", cli_help(), re.M))


def cli_options(command: str) -> set[str]:
    return set(_OPTION.findall(cli_help(command))) | set(_OPTION.findall(cli_help()))


@functools.cache
def config_sections() -> frozenset[str]:
    """The top-level keys, as the validator lists them when given one it does not know."""
    with pytest.raises(ValueError, match="unknown key") as caught:
        parse_config({"zz_not_a_section": 1}, {})
    return frozenset(re.findall(r"[a-z_]+", str(caught.value).split("expected one of", 1)[1]))


def config_key_exists(key: str) -> bool:
    """Parse a config that holds only ``key`` (``channels[].roles`` is a list entry): the validator refuses an
    unknown key by name; any other complaint (a missing id, a bad value) means the key itself is known."""
    raw: Any = None
    for part in reversed(key.split(".")):
        name, is_list = re.subn(r"\[\d*\]$", "", part)
        name = "example" if name.startswith("<") else name
        raw = {name: [raw if raw is not None else {}] if is_list else raw}
    try:
        parse_config(raw, {})
    except ValueError as exc:
        return "unknown key" not in str(exc)
    return True


def _command_modules() -> list[Any]:
    modules = []
    for name in extension_names():
        module = importlib.import_module(name)
        modules.append(module)
        for info in pkgutil.walk_packages(getattr(module, "__path__", []), prefix=f"{name}."):
            modules.append(importlib.import_module(info.name))
    return modules


@functools.cache
def slash_commands() -> dict[str, frozenset[str]]:
    """``"feed add"`` -> its option names, ``"feed"`` -> its subcommands, ``"news"`` -> its options; read from the
    command classes the cogs define (groups, cogs and group cogs), so no bot needs to run."""
    found: dict[str, frozenset[str]] = {}

    def add(prefix: str, children: list[Any]) -> None:
        for child in children:
            name = f"{prefix} {child.name}".strip()
            if isinstance(child, app_commands.Group):
                found[name] = frozenset(c.name for c in child.commands)
                add(name, child.commands)
            else:
                found[name] = frozenset(p.display_name for p in child.parameters)

    for module in _command_modules():
        for obj in vars(module).values():
            if not isinstance(obj, type) or obj.__module__ != module.__name__:
                continue
            if issubclass(obj, app_commands.Group) and obj.__discord_app_commands_group_children__:
                add("", [_instance(obj)])
            elif issubclass(obj, commands.Cog):
                children = list(obj.__cog_app_commands__)
                if obj.__cog_is_app_commands_group__:
                    found[str(obj.__cog_group_name__)] = frozenset(c.name for c in children)
                    add(str(obj.__cog_group_name__), children)
                else:
                    add("", children)
    return found


def _instance(group: type[app_commands.Group]) -> app_commands.Group:
    """A group whose name is given in its constructor: built with None for what it would be handed (the bot, a
    cog), which a group only stores."""
    needed = [p for p in inspect.signature(group).parameters.values() if p.default is inspect.Parameter.empty]
    handed: dict[str, Any] = {p.name: None for p in needed}
    return group(**handed)


# --- what the docs say -------------------------------------------------------------------------------------


def code_texts(text: str) -> list[str]:
    """Inline code spans and every line of fenced blocks: where commands and keys are written exactly."""
    pieces = [line for _, block in _FENCE.findall(text) for line in block.splitlines()]
    return pieces + _SPAN.findall(_FENCE.sub("", text))


def cli_problems(text: str) -> list[str]:
    problems = []
    for piece in code_texts(text):
        for match in _CLI.finditer(piece):
            command = match["cmd"]
            if command not in cli_commands():
                problems.append(f"`newsdesk {command}`: no such command (newsdesk --help)")
                continue
            for option in set(_OPTION.findall(match["rest"])) - cli_options(command):
                problems.append(f"`newsdesk {command} {option}`: no such option (newsdesk {command} --help)")
    return problems


def config_problems(text: str) -> list[str]:
    problems = []
    for span in _SPAN.findall(text):
        match = _KEY.match(span)
        section = match["key"].split(".")[0].split("[")[0] if match else ""
        if match and section in config_sections() and not config_key_exists(match["key"]):
            problems.append(f"`{match['key']}`: not a config key (bot/config.py refuses it)")
    for language, block in _FENCE.findall(text):
        if language == "yaml":
            try:
                parse_config(yaml.safe_load(block), {})
            except ValueError as exc:
                problems.append(f"yaml example is not a valid config: {exc}")
    return problems


def slash_problems(text: str) -> list[str]:
    known = slash_commands()
    problems = []
    prose = _SPAN.sub(" ", _FENCE.sub("", text))
    for match in _SLASH.finditer(prose):
        if match["name"] not in known and match["name"] not in NOT_COMMANDS:
            problems.append(f"/{match['name']}: no such slash command")
    for span in _SPAN.findall(text):
        words = span.split(" + ")[0].split()
        if not words or not _SLASH.fullmatch(words[0]) or words[0][1:] in NOT_COMMANDS:
            continue
        name, options = words[0][1:], words[1:]
        if name not in known:
            problems.append(f"`/{name}`: no such slash command")
            continue
        if options and f"{name} {options[0]}" in known:  # a group's subcommand
            name, options = f"{name} {options[0]}", options[1:]
        elif options and any(f"{name} {sub}" in known for sub in known[name]):
            problems.append(f"`/{name} {options[0]}`: no such subcommand")
            continue
        for option in options:
            if option.split(":")[0] not in known[name]:
                problems.append(f"`/{name}`: no option {option.split(':')[0]!r}")
    return problems


def github_anchor(heading: str) -> str:
    text = heading.strip().lower().replace("`", "")
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def link_problems(path: Path, text: str) -> list[str]:
    problems = []
    for match in _LINK.finditer(text):
        target = match["target"]
        if re.match(r"^[a-z]+:", target):
            continue  # https://, mailto:
        file_part, _, anchor = target.partition("#")
        linked = (path.parent / file_part).resolve() if file_part else path
        if not linked.exists():
            problems.append(f"link {target}: {file_part} does not exist")
        elif anchor and linked.suffix == ".md":
            headings = re.findall(r"^#+ (.+)$", _FENCE.sub("", linked.read_text(encoding="utf-8")), re.M)
            if anchor not in {github_anchor(h) for h in headings}:
                problems.append(f"link {target}: no heading #{anchor} in {linked.name}")
    return problems


def all_problems(path: Path, text: str) -> list[str]:
    return cli_problems(text) + config_problems(text) + slash_problems(text) + link_problems(path, text)


# --- the tests ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_command_key_and_link_in_the_docs_exists(path: Path) -> None:
    assert all_problems(path, path.read_text(encoding="utf-8")) == []


def test_the_docs_pages_exist_and_the_readme_is_a_front_door() -> None:
    names = {p.name for p in DOCS}
    pages = ["configuration", "deploying", "cluster", "search", "benchmarks", "architecture", "posting", "newsroom"]
    assert {f"{page}.md" for page in pages} <= names
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme) <= README_LIMIT
    first_block = _FENCE.search(readme)
    assert first_block is not None and "make run" in first_block[2] and "make test" in first_block[2]
    assert "](docs/posted-story.png)" in readme and (ROOT / "docs" / "posted-story.png").is_file()
    for page in pages:
        assert f"](docs/{page}.md)" in readme, f"the README links docs/{page}.md"


def test_the_readme_lists_every_cli_command_and_every_slash_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    listed = {m["cmd"] for piece in code_texts(readme) for m in _CLI.finditer(piece)}
    assert listed >= cli_commands()
    top_level = {name for name in slash_commands() if " " not in name}
    assert {m["name"] for m in _SLASH.finditer(readme)} >= top_level


def test_what_exists_is_read_from_the_code() -> None:
    # A guard on the introspection itself: if it found nothing, every doc would pass vacuously.
    assert {"run", "index", "check", "search", "status", "sync", "invite", "backup", "explain"} <= cli_commands()
    assert {"--shard-count", "--shard-ids", "--no-ingest", "--config"} <= cli_options("run")
    assert {"articles", "storage", "discord", "channels", "digests", "metrics"} <= config_sections()
    assert config_key_exists("articles.delete_grace") and config_key_exists("channels[].include_words")
    known = slash_commands()
    assert {"news", "feed", "digest", "newsdesk", "subscribe", "unsubscribe"} <= set(known)
    assert {"add", "remove", "list", "explain", "test", "backfill", "ping", "unping"} <= known["feed"]
    assert {"channel", "topics", "min_quality"} <= known["feed add"]


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("Run `newsdesk frobnicate` first.", "newsdesk frobnicate"),
        ("```\nnewsdesk [--config PATH] run --turbo   # fast\n```", "--turbo"),
        ("`sudo -u newsdesk /opt/newsdesk/.venv/bin/newsdesk status --verbose`", "--verbose"),
        ("Set `articles.delete_graces` to 10.", "articles.delete_graces"),
        ("Each route may set `channels[].colour`.", "channels[].colour"),
        ("`discord.guild: [1]` is the allowlist.", "discord.guild"),
        ("```yaml\nmetrics:\n  port: 9464\n  hots: 0.0.0.0\n```", "metrics.hots"),
        ("Admins use /feeds to route stories.", "/feeds"),
        ("`/feed frobnicate channel`", "/feed frobnicate"),
        ("`/feed add channel colour:red`", "colour"),
        ("`/news topic:AI order:new`", "order"),
    ],
)
def test_a_doc_naming_what_does_not_exist_fails(text: str, named: str) -> None:
    problems = all_problems(ROOT / "README.md", text)
    assert problems, f"{text!r} should be refused"
    assert any(named in p for p in problems), problems


def test_a_link_to_a_missing_page_or_heading_fails(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("# A page\n\n## Real heading\n", encoding="utf-8")
    doc = tmp_path / "b.md"
    text = "[ok](a.md#real-heading) [gone](missing.md) [no anchor](a.md#imagined)"
    assert link_problems(doc, text) == [
        "link missing.md: missing.md does not exist",
        "link a.md#imagined: no heading #imagined in a.md",
    ]


def test_real_commands_and_keys_pass() -> None:
    text = (
        "`newsdesk run --shard-count 2 --shard-ids 0`, `newsdesk --config x.yaml status --console`, "
        "`articles.delete_grace`, `channels[1].id`, `providers.<domain>.avatar`, /subscribe, "
        "`/feed backfill channel since:24h limit:10 dry_run`, `/news public:true`, `GET /healthz`"
    )
    assert all_problems(ROOT / "README.md", text) == []
