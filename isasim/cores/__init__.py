"""cores layer."""
