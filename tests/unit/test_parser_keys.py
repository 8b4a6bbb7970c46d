"""Unit tests for bot.stories.parser: encodings and line endings, YAML aliases and anchors, story keys and
canonical URLs, which files are stories."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from bot.stories.parser import is_story_path, parse_story_text
from bot.stories.story import Provider, Story, canonical_url
from tests.unit.test_parser import SEED_FILE, SEED_TEXT, parse, parse_error


@pytest.fixture(scope="module")
def seed() -> Story:
    return parse_story_text(SEED_TEXT, SEED_FILE)


# --- encodings and line endings -----------------------------------------------------------------------


def test_utf8_bom_is_ignored(seed: Story) -> None:
    story = parse_story_text("\ufeff" + SEED_TEXT, SEED_FILE)
    assert story == seed


def test_bom_from_bytes() -> None:
    raw = "---\ntitle: Café ✓\n---\nbody".encode("utf-8-sig")
    story = parse_story_text(raw.decode("utf-8"), "a.md")  # plain utf-8 decode keeps the BOM character
    assert story.title == "Café ✓"
    assert story.body == "body"


def test_crlf_line_endings(seed: Story) -> None:
    story = parse_story_text(SEED_TEXT.replace("\n", "\r\n"), SEED_FILE)
    assert story == seed


def test_crlf_body_is_normalised() -> None:
    story = parse_story_text("---\r\ntitle: T\r\n---\r\nline one\r\nline two\r\n", "a.md")
    assert story.title == "T"
    assert story.body == "line one\nline two"


def test_lone_cr_line_endings(seed: Story) -> None:
    story = parse_story_text(SEED_TEXT.replace("\n", "\r"), SEED_FILE)
    assert story == seed


def test_body_after_front_matter_is_kept() -> None:
    story = parse("title: T", body="\n\nFirst paragraph.\n\n---\n\nAfter a rule.\n\n")
    assert story.body == "First paragraph.\n\n---\n\nAfter a rule."


# --- aliases and anchors --------------------------------------------------------------------------


def _billion_laughs(flow: bool = True) -> str:
    names = "abcdefghi"
    lines = []
    if flow:
        lines.append('a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]')
        for prev, name in itertools.pairwise(names):
            lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    else:
        lines.append("a: &a\n" + "\n".join(["  - lol"] * 9))
        for prev, name in itertools.pairwise(names):
            lines.append(f"{name}: &{name}\n" + "\n".join([f"  - *{prev}"] * 9))
    return "\n".join(lines)


@pytest.mark.parametrize("flow", [True, False])
def test_billion_laughs_is_rejected(flow: bool) -> None:
    error = parse_error("title: Bomb\n" + _billion_laughs(flow))
    assert "alias" in str(error)


def test_billion_laughs_used_as_topics_is_rejected() -> None:
    error = parse_error("title: Bomb\n" + _billion_laughs() + "\ntopics: *i")
    assert "alias" in str(error)


def test_mapping_alias_bomb_is_rejected() -> None:
    lines = ["a: &a {x: lol, y: lol}"]
    names = "abcdefghijklmnopqrstuvwxyz"
    for prev, name in itertools.pairwise(names):
        lines.append(f"{name}: &{name} {{k1: *{prev}, k2: *{prev}}}")
    error = parse_error("title: Bomb\n" + "\n".join(lines))
    assert "alias" in str(error)


def test_small_anchor_reuse_is_accepted() -> None:
    story = parse(
        "title: T\nprovider: &p\n  name: Example News\n  domain: example.com\n"
        "related:\n  - title: R\n    webUrl: https://example.com/r\n    provider: *p"
    )
    assert story.provider == Provider("Example News", "example.com")
    assert story.related[0].provider == story.provider


def test_self_referencing_alias_is_a_story_error() -> None:
    error = parse_error("title: T\ntopics: &a [AI, *a]")
    assert error.field == "topics[1]"


def test_undefined_alias_is_broken_yaml() -> None:
    error = parse_error("title: T\nprovider: *nowhere")
    assert "broken YAML" in str(error)


def test_ampersands_and_asterisks_in_text_parse_normally() -> None:
    story = parse(
        "title: Cats & dogs *really* get along\n"
        "webUrl: https://news.example.com/story?id=1&ref=rss&x=*y\n"
        "excerpt: This is *bold* and **very bold**, R&D & more\n"
        "topics: [R&D, '*nix']"
    )
    assert story.title == "Cats & dogs *really* get along"
    assert story.web_url == "https://news.example.com/story?id=1&ref=rss&x=*y"
    assert story.key == "https://news.example.com/story?id=1&ref=rss&x=*y"
    assert story.excerpt == "This is *bold* and **very bold**, R&D & more"
    assert story.topics == ("R&D", "*nix")


def test_quoted_leading_asterisk_excerpt() -> None:
    assert parse("title: T\nexcerpt: '*Breaking* news'").excerpt == "*Breaking* news"
    assert parse('title: T\nexcerpt: "*Breaking* & news"').excerpt == "*Breaking* & news"


# --- keys and canonical URLs ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://News.Example.COM/Path/To/Story", "https://news.example.com/Path/To/Story"),
        ("https://news.example.com:443/a", "https://news.example.com/a"),
        ("http://news.example.com:80/a", "http://news.example.com/a"),
        ("https://news.example.com:8443/a", "https://news.example.com:8443/a"),
        ("https://news.example.com/a#comments", "https://news.example.com/a"),
        ("https://news.example.com/a/", "https://news.example.com/a"),
        ("https://news.example.com/", "https://news.example.com"),
        ("https://news.example.com", "https://news.example.com"),
        ("https://news.example.com/a?utm_source=rss&utm_medium=feed", "https://news.example.com/a"),
        ("https://news.example.com/a?id=7&utm_campaign=x&page=2", "https://news.example.com/a?id=7&page=2"),
        ("https://news.example.com/a?UTM_Source=x&id=7", "https://news.example.com/a?id=7"),
        ("https://news.example.com/a?fbclid=abc&gclid=def&id=7", "https://news.example.com/a?id=7"),
        ("https://news.example.com/a?utmost=1", "https://news.example.com/a?utmost=1"),
        ("  https://news.example.com/a  ", "https://news.example.com/a"),
        ("https://news.example.com/CaseMatters/A.HTML", "https://news.example.com/CaseMatters/A.HTML"),
    ],
)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


def test_canonical_url_keeps_path_case_distinct() -> None:
    assert canonical_url("https://example.com/Story") != canonical_url("https://example.com/story")


def test_canonical_url_is_idempotent() -> None:
    once = canonical_url("HTTPS://Example.com:443/A/B/?utm_source=x&q=1#frag")
    assert once == "https://example.com/A/B?q=1"
    assert canonical_url(once) == once


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.com:80/a", "https://example.com:80/a"),
        ("http://example.com:443/a", "http://example.com:443/a"),
    ],
)
def test_canonical_url_keeps_non_default_ports(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


def test_canonical_url_ipv6_host() -> None:
    assert canonical_url("http://[::1]:8080/x") == "http://[::1]:8080/x"


@pytest.mark.parametrize("url", ["https://example.com:99999/x", "https://example.com:abc/x"])
def test_bad_port_in_web_url_is_a_story_error(url: str) -> None:
    error = parse_error(f"title: T\nwebUrl: '{url}'")
    assert error.field == "webUrl"


def test_same_web_url_spelled_differently_gives_same_key() -> None:
    a = parse("title: A\nwebUrl: https://news.example.com/2024/story/", path="a.md")
    b = parse(
        "title: B\nwebUrl: HTTPS://NEWS.example.com:443/2024/story?utm_source=twitter#top",
        path="elsewhere/b.txt",
    )
    assert a.key == b.key == "https://news.example.com/2024/story"
    assert a.web_url != b.web_url  # the original spelling is kept for display


def test_path_case_differences_give_different_keys() -> None:
    a = parse("title: A\nwebUrl: https://news.example.com/Story")
    b = parse("title: B\nwebUrl: https://news.example.com/story")
    assert a.key != b.key


@pytest.mark.parametrize("path", ["stories/no-url.md", "deep/er/x.txt", "top.md"])
def test_story_without_web_url_is_keyed_by_file(path: str) -> None:
    assert parse("title: T", path=path).key == f"file:{path}"
    assert parse("title: T\nwebUrl: ''", path=path).key == f"file:{path}"


def test_non_http_web_url_is_keyed_by_file() -> None:
    story = parse("title: T\nwebUrl: not a url", path="x/y.md")
    assert story.key == "file:x/y.md"
    assert story.web_url == "not a url"


# --- which files are stories ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["a.md", "b.TXT", "c.Md", "sub/dir/c.md", "x.txt", Path("sub") / "p.md", "./a.md", "../up/a.md", "a.b.md"],
)
def test_is_story_path_accepts(path: str | Path) -> None:
    assert is_story_path(path) is True


@pytest.mark.parametrize(
    "path",
    [
        ".hidden.md",
        "dir/.hidden/x.md",
        ".git/x.md",
        "sub/.x.md",
        "a.md~",
        "a.md.swp",
        ".a.md.swp",
        "a.md.swo",
        "x.tmp",
        "a.md.tmp",
        "x.part",
        "a.md.part",
        "x.markdown",
        "notes.json",
        "README",
        "md",
        "a.md.bak",
    ],
)
def test_is_story_path_rejects(path: str) -> None:
    assert is_story_path(path) is False
