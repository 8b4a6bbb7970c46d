"""Personal news: members follow topics, providers and words and get matching stories in their DMs."""
