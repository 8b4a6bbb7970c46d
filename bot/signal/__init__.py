"""The community's signal: reactions, replies and Share clicks counted per posted story (``counter.py``), set
from Discord's own counts after a gap (``reconcile.py``), and the time-decayed score that ranks by it
(``ranking.py``). Discord-free: the cog in ``cogs/signal`` feeds it plain ids from the gateway's raw events."""
