"""The layering rules ``make lint`` and ``make test`` enforce on bot/ and cogs/, read from the source (stdlib only).

1. No import cycle: modules import each other one way (an import under ``if TYPE_CHECKING:`` does not count; one
   inside a function does, since it still ties the two modules together).
2. SQLAlchemy only in the storage floors, bot/store/ and bot/search/.

Usage: ``python tools/check_layers.py [ROOT]`` (ROOT: the repository, default this script's). Prints one line a
problem and exits 1; prints nothing and exits 0 when the rules hold.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

PACKAGES = ("bot", "cogs")
SQL_FLOORS = ("bot.store", "bot.search")
# Below the store, config checks storage.url and redact masks its password with SQLAlchemy's URL grammar, which
# opens nothing; importing it would make config depend on the whole store. These names only, in these modules.
URL_GRAMMAR_MODULES = {"bot.config", "bot.redact"}
URL_GRAMMAR_NAMES = {"make_url", "ArgumentError"}


def modules(root: Path) -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement, except those under ``if TYPE_CHECKING:`` (type hints only, never run)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                yield from imports(ast.Module(body=[child], type_ignores=[]))
        elif isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        else:
            yield from imports(node)


def targets(node: ast.Import | ast.ImportFrom, module: str, is_package: bool) -> Iterator[tuple[str, str | None]]:
    """(module imported, name taken from it or None) for one statement; ``from p import m`` may name a module."""
    if isinstance(node, ast.Import):
        yield from ((alias.name, None) for alias in node.names)
        return
    source = node.module or ""
    if node.level:  # relative: from the package the module is in (a package's __init__ is in itself)
        parts = module.split(".")
        source = ".".join([*parts[: len(parts) - node.level + is_package], *([source] if source else [])])
    yield from ((source, alias.name) for alias in node.names)


def check(root: Path) -> list[str]:
    known = modules(root)
    graph: dict[str, set[str]] = {name: set() for name in known}
    problems = []
    for name, path in known.items():
        for node in imports(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            for source, taken in targets(node, name, path.name == "__init__.py"):
                target = f"{source}.{taken}" if f"{source}.{taken}" in known else source
                # Importing a.b.c runs a/__init__ and a/b/__init__ first, unless the importer is inside them already.
                parts = target.split(".")
                edges = {m for m in (".".join(parts[:i]) for i in range(1, len(parts))) if not _inside(name, m)}
                graph[name] |= {m for m in edges | {target} if m in known and m != name}
                url_only = name in URL_GRAMMAR_MODULES and taken in URL_GRAMMAR_NAMES
                if source.split(".")[0] == "sqlalchemy" and not url_only and not _in_floor(name):
                    problems.append(
                        f"{path.relative_to(root)}:{node.lineno}: {name} imports {source} (SQLAlchemy "
                        f"belongs in {' and '.join(SQL_FLOORS)})"
                    )
    return problems + [_cycle_line(cycle, group) for cycle, group in cycles(graph)]


def _cycle_line(cycle: list[str], group: frozenset[str]) -> str:
    others = sorted(group - set(cycle))
    return f"import cycle: {' -> '.join(cycle)}" + (f" (also in the circle: {', '.join(others)})" if others else "")


def _inside(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def _in_floor(name: str) -> bool:
    return any(_inside(name, floor) for floor in SQL_FLOORS)


def cycles(graph: dict[str, set[str]]) -> list[tuple[list[str], frozenset[str]]]:
    """Each group of modules that all reach each other, with one cycle in it (a path back to its start)."""
    reach = {node: _reachable(graph, node) for node in graph}
    groups = {frozenset(m for m in reach[n] if n in reach[m]) for n in graph if n in reach[n]}
    return sorted((_path_back(graph, min(group), group), group) for group in groups)


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        for nxt in graph[todo.pop()] - seen:
            seen.add(nxt)
            todo.append(nxt)
    return seen


def _path_back(graph: dict[str, set[str]], start: str, group: frozenset[str]) -> list[str]:
    """The shortest path from ``start`` back to itself inside ``group`` (breadth first)."""
    paths = {nxt: [start, nxt] for nxt in sorted(graph[start] & group)}
    queue = list(paths)
    while start not in paths:
        node = queue.pop(0)
        for nxt in sorted(graph[node] & group):
            if nxt not in paths:
                paths[nxt] = [*paths[node], nxt]
                queue.append(nxt)
    return paths[start]


if __name__ == "__main__":
    found = check(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent)
    print("\n".join(found), end="\n" if found else "")
    sys.exit(1 if found else 0)
