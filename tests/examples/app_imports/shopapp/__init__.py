"""Stand-in for an application package that migrations import from."""
