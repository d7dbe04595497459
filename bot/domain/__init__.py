"""The convention's rules as plain Python: no telegram, no sqlalchemy, no I/O."""
