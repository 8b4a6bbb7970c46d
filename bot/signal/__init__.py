"""The community's signal: reactions, replies and Share clicks on posted stories, counted and used to rank."""
