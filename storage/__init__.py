"""Persistence: SQLAlchemy 2 models, unit of work, repositories, Alembic migrations."""
