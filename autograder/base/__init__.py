"""The ground floor: what every room may use (atomic writes, escaping, ids, statuses, deadlines, templates)."""
