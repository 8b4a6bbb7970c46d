"""The one wording of an abbreviated list."""

from __future__ import annotations

from bot.render.listing import abbreviate, more_text, summarize_list


def test_short_lists_are_shown_whole() -> None:
    assert abbreviate(["a", "b"], 5) == ["a", "b"]
    assert summarize_list([], 5) == ""
    assert summarize_list(["a", "b", "c"], 3) == "a, b, c"


def test_long_lists_name_the_first_n_and_count_the_rest() -> None:
    assert summarize_list([f"f{i}.md" for i in range(8)], 5) == "f0.md, f1.md, f2.md, f3.md, f4.md, …and 3 more"
    assert abbreviate(["a", "b", "c"], 1) == ["a", more_text(2)]
    assert more_text(2) == "…and 2 more"


def test_total_counts_items_that_were_not_loaded() -> None:
    assert summarize_list(["a", "b"], 2, total=10, sep="\n") == "a\nb\n…and 8 more"
    assert abbreviate(["a"], 5, total=1) == ["a"]
