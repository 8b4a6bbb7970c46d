"""Loading a story's front matter: a YAML loader that only builds plain values, and the alias-bomb guard.

PyYAML's safe loader turns an unquoted ``2026-02-30`` into a ``date`` and raises ``ValueError`` for an
impossible one, wherever it stands (even ``title: 2026-13-01``). This loader never constructs timestamps: they
stay text, and the fields that hold dates parse them (``bot.stories.dates``), so a bad date is one field's error.
Booleans are YAML 1.2's (``true``/``false`` in three spellings): YAML 1.1's ``yes``/``no``/``on``/``off`` stay text,
so ``published: yes`` is not silently a publish.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

from bot.stories.story import StoryError

try:
    _Base: type = yaml.CSafeLoader
except AttributeError:  # PyYAML built without libyaml
    _Base = yaml.SafeLoader

# A legitimate story has a few hundred YAML nodes; aliases that expand past this are a bomb.
MAX_EXPANDED_NODES = 20_000
# Anchors and aliases start with & or * after whitespace or a flow indicator; URLs with & do not match.
_ANCHOR_OR_ALIAS = re.compile(r"(?:^|[\s\[{,:])[&*][^\s,\[\]{}]")
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_BOOL = "tag:yaml.org,2002:bool"
_BOOL_1_2 = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")


def make_loader(base: Any) -> Any:
    """A subclass of ``base`` (a PyYAML safe loader) without implicit timestamps and with YAML 1.2 booleans."""
    resolvers = {
        first: [(tag, regexp) for tag, regexp in pairs if tag not in (_TIMESTAMP, _BOOL)]
        for first, pairs in base.yaml_implicit_resolvers.items()
    }
    loader: Any = type(f"Story{base.__name__}", (base,), {"yaml_implicit_resolvers": resolvers})
    loader.add_implicit_resolver(_BOOL, _BOOL_1_2, list("tTfF"))
    # An explicit ``!!timestamp`` is text too: the date fields validate it like any other.
    loader.add_constructor(_TIMESTAMP, SafeConstructor.construct_yaml_str)
    return loader


StoryLoader = make_loader(_Base)


def load_front(front: str, path: str, loader: type = StoryLoader) -> Any:
    """The front matter's data. Any value the YAML library refuses is a :class:`StoryError` naming the file."""
    if ("&" in front or "*" in front) and _ANCHOR_OR_ALIAS.search(front):
        _reject_alias_bombs(front, path, loader)
    try:
        return yaml.load(front, Loader=loader)
    except yaml.YAMLError as exc:
        raise StoryError(path, f"broken YAML: {_yaml_reason(exc)}") from None
    except RecursionError:
        # libyaml stops at 1,000 levels itself; the pure-Python loader recurses per level.
        raise StoryError(path, "broken YAML: nested too deeply") from None
    except (ValueError, ArithmeticError, TypeError) as exc:
        # e.g. an int of more than 4,300 digits, or a tagged value the constructor cannot convert.
        raise StoryError(path, f"a YAML value cannot be read: {_one_line(exc)}") from None


def _reject_alias_bombs(front: str, path: str, loader: type) -> None:
    """Count the nodes the document would expand to, following aliases, without building it."""
    sizes: dict[str, int] = {}
    stack: list[list[Any]] = [[None, 0]]  # [anchor, size] per open collection
    try:
        for event in yaml.parse(front, Loader=loader):
            if isinstance(event, yaml.AliasEvent):
                stack[-1][1] += sizes.get(event.anchor or "", 1)
            elif isinstance(event, yaml.ScalarEvent):
                stack[-1][1] += 1
                if event.anchor:
                    sizes[event.anchor] = 1
            elif isinstance(event, yaml.CollectionStartEvent):
                stack.append([event.anchor, 1])
            elif isinstance(event, yaml.CollectionEndEvent):
                anchor, size = stack.pop()
                if anchor:
                    sizes[anchor] = size
                stack[-1][1] += size
            if stack[-1][1] > MAX_EXPANDED_NODES or sum(s[1] for s in stack) > MAX_EXPANDED_NODES:
                raise StoryError(path, f"YAML aliases expand to more than {MAX_EXPANDED_NODES} nodes (an alias bomb)")
    except yaml.YAMLError as exc:
        raise StoryError(path, f"broken YAML: {_yaml_reason(exc)}") from None


def _yaml_reason(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    # The front matter text starts with the newline that ends the '---' line, so its line numbers are the file's
    # (marks count from zero).
    return f"{problem} (line {mark.line + 1}, column {mark.column + 1})" if mark else problem


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__
