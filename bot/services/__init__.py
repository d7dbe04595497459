"""Use cases: each loads, calls the domain, and commits in one unit of work."""
