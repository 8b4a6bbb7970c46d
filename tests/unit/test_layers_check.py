"""``tools/check_layers.py`` (run by ``make lint`` and ``make test``) on small package trees: it reports an import
cycle and SQLAlchemy outside the storage floors, one line each with exit 1, and passes a tree that keeps the rules.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CHECKER = Path(__file__).resolve().parents[2] / "tools" / "check_layers.py"


def check(root: Path, files: dict[str, str]) -> tuple[int, list[str]]:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    done = subprocess.run([sys.executable, str(CHECKER), str(root)], capture_output=True, text=True, timeout=60)
    assert not done.stderr
    return done.returncode, done.stdout.splitlines()


def test_a_clean_tree_passes_silently(tmp_path: Path) -> None:
    code, lines = check(
        tmp_path,
        {
            "bot/__init__.py": "",
            "bot/store/__init__.py": "from bot.store.ledger import record\n",
            "bot/store/ledger.py": "from sqlalchemy import Connection\n\ndef record(): ...\n",
            "bot/search/queries.py": "import sqlalchemy\nfrom bot.store import ledger\n",
            "cogs/news.py": "from bot.search import queries\n",
        },
    )
    assert (code, lines) == (0, [])


def test_a_cycle_is_reported_as_one_line_naming_its_path(tmp_path: Path) -> None:
    code, lines = check(
        tmp_path,
        {
            "bot/__init__.py": "",
            "bot/a.py": "from bot import b\n",
            "bot/b.py": "import bot.c\n",
            "bot/c.py": "from .a import thing\n",  # relative, resolved from the package
            "bot/d.py": "from bot import a\n",  # depends on the cycle but is not in it
        },
    )
    assert (code, lines) == (1, ["import cycle: bot.a -> bot.b -> bot.c -> bot.a"])


def test_an_import_inside_a_function_still_ties_two_modules(tmp_path: Path) -> None:
    # The circle this check was written for ran through a lazy import (store.backends.backend_for).
    files = {
        "bot/__init__.py": "",
        "bot/backends/__init__.py": "def backend_for():\n    from bot.backends.sqlite import SQLITE\n",
        "bot/backends/sqlite.py": "from bot.backends import backend_for\n",
    }
    assert check(tmp_path, files) == (1, ["import cycle: bot.backends -> bot.backends.sqlite -> bot.backends"])


def test_importing_a_module_runs_its_packages_first(tmp_path: Path) -> None:
    # bot.search.queries imported first runs bot/store/__init__, which imports it back half-initialised.
    files = {
        "bot/__init__.py": "",
        "bot/store/__init__.py": "from bot.store.store import Store\n",
        "bot/store/store.py": "from bot.store import schema\nfrom bot.search.queries import SearchQueries\n",
        "bot/store/schema.py": "",  # a sibling inside the package already being imported: no cycle
        "bot/search/queries.py": "from bot.store.schema import stories\n",
    }
    cycle = "import cycle: bot.search.queries -> bot.store -> bot.store.store -> bot.search.queries"
    assert check(tmp_path, files) == (1, [cycle])


def test_a_type_checking_import_is_ignored(tmp_path: Path) -> None:
    code, lines = check(
        tmp_path,
        {
            "bot/__init__.py": "",
            "bot/a.py": "from bot.b import B\n",
            "bot/b.py": (
                "from typing import TYPE_CHECKING\n"
                "import typing\n"
                "if TYPE_CHECKING:\n    from bot.a import A\n    from sqlalchemy import Connection\n"
                "if typing.TYPE_CHECKING:\n    import bot.a\nelse:\n    import json\n"
                "class B: ...\n"
            ),
        },
    )
    assert (code, lines) == (0, [])


def test_sqlalchemy_outside_the_store_and_search_floors_is_reported(tmp_path: Path) -> None:
    code, lines = check(
        tmp_path,
        {
            "bot/__init__.py": "",
            "bot/pipeline.py": "import json\nfrom sqlalchemy import text\n",
            "cogs/feed/_group.py": "def add():\n    import sqlalchemy.exc\n",
            "bot/storefront.py": "from sqlalchemy import select\n",  # a name that only starts like the floor's
            "bot/store/ledger.py": "from sqlalchemy import select\n",
            "bot/search/sqlite.py": "from sqlalchemy import Connection\n",
            "bot/cli/migrate.py": "from sqlalchemy.exc import SQLAlchemyError\n",
            # config may parse storage.url with SQLAlchemy's URL grammar, and nothing else of it
            "bot/config.py": "from sqlalchemy.engine import make_url\nfrom sqlalchemy import create_engine\n",
        },
    )
    assert code == 1
    assert lines == [
        "bot/cli/migrate.py:1: bot.cli.migrate imports sqlalchemy.exc (SQLAlchemy belongs in bot.store and bot.search)",
        "bot/config.py:2: bot.config imports sqlalchemy (SQLAlchemy belongs in bot.store and bot.search)",
        "bot/pipeline.py:2: bot.pipeline imports sqlalchemy (SQLAlchemy belongs in bot.store and bot.search)",
        "bot/storefront.py:1: bot.storefront imports sqlalchemy (SQLAlchemy belongs in bot.store and bot.search)",
        "cogs/feed/_group.py:2: cogs.feed._group imports sqlalchemy.exc (SQLAlchemy belongs in bot.store and "
        "bot.search)",
    ]
