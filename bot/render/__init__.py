"""Discord payloads and terminal text built from data: story embeds, /news pages, /feed replies, console cards, and
the shared text helpers."""
