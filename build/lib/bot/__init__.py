"""Newsdesk: posts curated news stories from a folder of story files to Discord."""

__version__ = "0.1.0"
