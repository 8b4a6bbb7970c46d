-- The schema Newsdesk 0.1 created (commit 201d911, before migrations): Store.open's metadata.create_all
-- plus the FTS5 table, dumped from sqlite_master. tests/unit/test_migrations.py upgrades a database made
-- from it. Frozen: never edit.
CREATE TABLE files (
	path VARCHAR NOT NULL,
	mtime_ns BIGINT NOT NULL,
	size BIGINT NOT NULL,
	sha256 VARCHAR NOT NULL,
	story_key VARCHAR,
	error TEXT,
	checked_at FLOAT NOT NULL,
	PRIMARY KEY (path)
);
CREATE INDEX ix_files_story_key ON files (story_key);
CREATE TABLE stories (
	id INTEGER NOT NULL,
	"key" VARCHAR NOT NULL,
	path VARCHAR NOT NULL,
	title TEXT NOT NULL,
	excerpt TEXT NOT NULL,
	web_url TEXT NOT NULL,
	provider TEXT NOT NULL,
	provider_domain TEXT NOT NULL,
	published_at FLOAT,
	quality INTEGER,
	heat INTEGER,
	published BOOLEAN NOT NULL,
	present BOOLEAN NOT NULL,
	data TEXT NOT NULL,
	fingerprint VARCHAR NOT NULL,
	first_seen FLOAT NOT NULL,
	updated_at FLOAT NOT NULL,
	PRIMARY KEY (id),
	UNIQUE ("key")
);
CREATE INDEX ix_stories_published_at ON stories (published_at);
CREATE INDEX ix_stories_updated ON stories (updated_at);
CREATE INDEX ix_stories_listing ON stories (present, published, published_at);
CREATE INDEX ix_stories_provider ON stories (provider, present, published, published_at);
CREATE TABLE meta (
	"key" VARCHAR NOT NULL,
	value TEXT NOT NULL,
	PRIMARY KEY ("key")
);
CREATE TABLE digests (
	id INTEGER NOT NULL,
	guild_id BIGINT NOT NULL,
	name VARCHAR NOT NULL,
	channel_id BIGINT NOT NULL,
	cron VARCHAR NOT NULL,
	timezone VARCHAR NOT NULL,
	label VARCHAR NOT NULL,
	topics TEXT NOT NULL,
	min_quality INTEGER NOT NULL,
	max_items INTEGER NOT NULL,
	min_items INTEGER NOT NULL,
	created_at FLOAT NOT NULL,
	updated_at FLOAT NOT NULL,
	PRIMARY KEY (id),
	CONSTRAINT uq_digests_guild_name UNIQUE (guild_id, name)
);
CREATE TABLE feed_routes (
	channel_id BIGINT NOT NULL,
	guild_id BIGINT NOT NULL,
	topics TEXT NOT NULL,
	min_quality INTEGER NOT NULL,
	created_by BIGINT,
	created_at FLOAT NOT NULL,
	PRIMARY KEY (channel_id)
);
CREATE INDEX ix_feed_routes_guild_id ON feed_routes (guild_id);
CREATE TABLE topic_roles (
	guild_id BIGINT NOT NULL,
	norm TEXT NOT NULL,
	topic TEXT NOT NULL,
	role_id BIGINT NOT NULL,
	PRIMARY KEY (guild_id, norm)
);
CREATE TABLE guild_settings (
	guild_id BIGINT NOT NULL,
	alerts_channel_id BIGINT,
	PRIMARY KEY (guild_id)
);
CREATE TABLE alerts_sent (
	"key" VARCHAR NOT NULL,
	sent_at FLOAT NOT NULL,
	suppressed INTEGER NOT NULL,
	PRIMARY KEY ("key")
);
CREATE TABLE story_topics (
	story_id INTEGER NOT NULL,
	topic TEXT NOT NULL,
	norm TEXT NOT NULL,
	PRIMARY KEY (story_id, norm),
	FOREIGN KEY(story_id) REFERENCES stories (id) ON DELETE CASCADE
);
CREATE INDEX ix_story_topics_norm ON story_topics (norm, story_id);
CREATE TABLE deliveries (
	story_id INTEGER NOT NULL,
	channel_id BIGINT NOT NULL,
	state VARCHAR NOT NULL,
	message_id BIGINT,
	payload_hash VARCHAR,
	generation INTEGER NOT NULL,
	version INTEGER NOT NULL,
	attempts INTEGER NOT NULL,
	last_error TEXT,
	updated_at FLOAT NOT NULL,
	PRIMARY KEY (story_id, channel_id),
	FOREIGN KEY(story_id) REFERENCES stories (id) ON DELETE CASCADE
);
CREATE INDEX ix_deliveries_state ON deliveries (state);
CREATE TABLE digest_runs (
	id INTEGER NOT NULL,
	digest_id INTEGER NOT NULL,
	started_at FLOAT NOT NULL,
	window_start FLOAT NOT NULL,
	window_end FLOAT NOT NULL,
	status VARCHAR NOT NULL,
	story_count INTEGER NOT NULL,
	message_ids TEXT NOT NULL,
	error TEXT,
	PRIMARY KEY (id),
	FOREIGN KEY(digest_id) REFERENCES digests (id) ON DELETE CASCADE
);
CREATE INDEX ix_digest_runs_digest ON digest_runs (digest_id, window_end);
CREATE TABLE digest_items (
	digest_id INTEGER NOT NULL,
	story_id INTEGER NOT NULL,
	run_id INTEGER NOT NULL,
	message_id BIGINT,
	PRIMARY KEY (digest_id, story_id),
	FOREIGN KEY(digest_id) REFERENCES digests (id) ON DELETE CASCADE,
	FOREIGN KEY(story_id) REFERENCES stories (id) ON DELETE CASCADE,
	FOREIGN KEY(run_id) REFERENCES digest_runs (id) ON DELETE CASCADE
);
CREATE VIRTUAL TABLE stories_fts USING fts5(title, excerpt, provider, topics, tokenize = 'unicode61 remove_diacritics 2');
