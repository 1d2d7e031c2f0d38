"""Many submissions at once: workers, resume, stop signals, shards and their merge."""
