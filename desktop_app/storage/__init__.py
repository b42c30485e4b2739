"""Persistence: SQLAlchemy models, engine setup, the library folder, migrations, repositories."""
