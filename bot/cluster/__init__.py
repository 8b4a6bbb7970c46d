"""Running Newsdesk as several processes over PostgreSQL (roles held by advisory locks, members, claims, the
shared rate limit), and its SQLite collapse: one process, held by a lock file next to the database."""
