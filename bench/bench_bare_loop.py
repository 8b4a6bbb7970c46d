"""The floor for bench_latency: a bare loop that watches a folder with watchfiles at a 1 ms step, parses each
story file and POSTs it to the fake Discord. No store, no ledger, no queue: what any bot on this machine pays.

Run by bench_latency.py as a subprocess (like the bot), on its own folder, against the same fake in the same run.
Usage: python bench/bench_bare_loop.py FOLDER API_BASE CHANNEL [--step-ms 1]  (token from DISCORD_TOKEN)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

import aiohttp
from watchfiles import Change, awatch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.render.embeds import build_story_message  # noqa: E402
from bot.stories.parser import StoryError, is_story_path, parse_story_text  # noqa: E402


async def bare_loop(folder: Path, api_base: str, channel: int, token: str, step_ms: int) -> None:
    url = f"{api_base.rstrip('/')}/channels/{channel}/messages"
    headers = {"Authorization": f"Bot {token}"}
    async with aiohttp.ClientSession(headers=headers) as session:
        print("ready", flush=True)
        async for changes in awatch(folder, step=step_ms, debounce=1600, recursive=True):
            for change, path in changes:
                rel = os.path.relpath(path, folder)  # noqa: ASYNC240  string arithmetic on absolute paths
                if change == Change.deleted or not is_story_path(rel):
                    continue
                try:
                    # Read inline, as the simplest bot would: this loop is the floor the bot is measured against.
                    story = parse_story_text(Path(path).read_text(encoding="utf-8"), rel)  # noqa: ASYNC240
                except (OSError, StoryError):
                    continue
                async with session.post(url, json=build_story_message(story)) as response:
                    await response.read()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path)
    parser.add_argument("api_base")
    parser.add_argument("channel", type=int)
    parser.add_argument("--step-ms", type=int, default=1)
    args = parser.parse_args()
    # Runs until bench_latency terminates it.
    asyncio.run(bare_loop(args.folder, args.api_base, args.channel, os.environ["DISCORD_TOKEN"], args.step_ms))
    return 0


if __name__ == "__main__":
    sys.exit(main())
