"""Personal news: what members follow, matched against each new story and sent to them as DMs."""
