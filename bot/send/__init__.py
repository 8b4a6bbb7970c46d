"""Getting posts to Discord: per-channel send queues, channel kinds (forums, announcements, threads, webhooks), the
REST sink and channel checks."""
