"""Run Alembic migrations programmatically (`python -m bot db upgrade`, start-up).

Alembic (and Mako behind it) is imported only when a migration is needed: the running bot
checks the recorded revision with one query and keeps those ~11 MB out of its memory.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from storage.db import make_sync_engine, sync_url

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# The newest revision in migrations/versions; tests/storage/test_schema.py keeps it honest.
HEAD = "0013"


def alembic_config(url: str | URL) -> Config:
    """Build an Alembic config for this URL without an ini file on disk."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["url"] = sync_url(url)
    return cfg


def current_revision(url: str | URL) -> str | None:
    """Return the revision the database is at, or None for a new database."""
    engine = make_sync_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except DBAPIError:
        return None
    finally:
        engine.dispose()


def upgrade(url: str | URL, revision: str = "head") -> None:
    """Migrate the database at `url` to `revision`."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def ensure_current(url: str | URL) -> bool:
    """Migrate to the newest revision unless already there; True if a migration ran."""
    if current_revision(url) == HEAD:
        return False
    upgrade(url)
    return True


def script_head() -> str | None:
    """Return the head revision of the migration scripts (reads them with Alembic)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
