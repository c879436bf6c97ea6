"""Engines, sessions and migrations for the record.

One place decides how to connect, so SQLite gets foreign keys and WAL (a worker and a web process
can share the file) and every entry point migrates the database to head with Alembic before use.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, exc, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from config.settings import normalise_database_url

if TYPE_CHECKING:
    from alembic.config import Config

try:
    import fcntl
except ImportError:  # not on Windows: migrations there are not serialised across processes
    fcntl = None  # type: ignore[assignment]

# Not the leader lock's key (bot.leadership): a standby must be able to migrate while the leader holds that one.
MIGRATION_LOCK_KEY = 0x6875_6D67  # "humg": the PostgreSQL advisory lock every migrating process takes
# The newest migration (tests check it is Alembic's head): a database already there is opened without
# loading Alembic, which costs most commands more than half a second before they do anything.
HEAD_REVISION = "0010"


class DatabaseUnavailable(Exception):
    """The database cannot be opened. `where` is the URL with its password hidden; `reason` says why."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason


def shown_url(url: str) -> str:
    """The URL as it may be printed: never with its password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except exc.ArgumentError:
        return "(an address that does not parse)"


def _sqlite_file(url: str) -> Path | None:
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url`; SQLite connections enforce foreign keys and use WAL with a busy timeout."""
    url = normalise_database_url(url)
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"timeout": 30, "check_same_thread": False})
        if url in ("sqlite://", "sqlite:///:memory:"):
            kwargs.setdefault("poolclass", StaticPool)  # one shared connection, or each sees its own DB
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            if ":memory:" not in url and url not in ("sqlite://", "sqlite:///"):
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def alembic_config() -> Config:
    """Alembic's config for the packaged migrations; the connection is always handed in, never a URL."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """An exclusive lock on a file beside the SQLite database, held while migrating."""
    with open(path.with_name(path.name + ".migrate-lock"), "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` (head by default) on the engine's database.

    Migrations are serialised, so two processes starting at once on a new database both succeed
    instead of racing to create the same tables: a file lock beside a SQLite file, an advisory lock
    on PostgreSQL (taken inside the migration's transaction and released with it).
    """
    from alembic import command

    cfg = alembic_config()
    sqlite_file = _sqlite_file(str(engine.url)) if engine.dialect.name == "sqlite" else None
    lock = _file_lock(sqlite_file) if sqlite_file is not None and fcntl is not None else nullcontext()
    with lock, engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def at_head(engine: Engine) -> bool:
    """Whether the database's schema is already the newest (False for a new database)."""
    with engine.connect() as conn:
        try:
            versions = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        except (exc.OperationalError, exc.ProgrammingError) as error:
            if "alembic_version" not in str(error):
                raise
            return False
    return versions == [HEAD_REVISION]


class Database:
    """An engine and its session factory, migrated to head on creation."""

    def __init__(self, url: str, *, migrate: bool = True, **engine_kwargs: Any) -> None:
        self.url = url = normalise_database_url(url)
        try:
            self.engine = make_engine(url, **engine_kwargs)
        except (exc.ArgumentError, exc.NoSuchModuleError, ImportError) as error:
            raise DatabaseUnavailable(shown_url(url), f"not a database address huddlebot can use ({error})") from None
        if migrate:
            self._check_folder(url)
            try:
                if not at_head(self.engine):
                    upgrade(self.engine)
            except (exc.OperationalError, exc.InterfaceError) as error:
                self.engine.dispose()
                raise DatabaseUnavailable(shown_url(url), _reason(error, url)) from None
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @staticmethod
    def _check_folder(url: str) -> None:
        if not url.startswith("sqlite"):
            return
        path = _sqlite_file(url)
        if path is not None and not path.parent.is_dir():
            raise DatabaseUnavailable(shown_url(url), f"the folder {path.parent} does not exist")
        if path is not None and not os.access(path.parent, os.W_OK):
            raise DatabaseUnavailable(shown_url(url), f"the folder {path.parent} is not writable")

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back whole on any error."""
        with self.sessions() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


def _reason(error: exc.DBAPIError, url: str) -> str:
    """The driver's first line of explanation, without the password should a driver ever echo it."""
    lines = [line.strip() for line in str(error.orig).splitlines() if line.strip()]
    reason = lines[0] if lines else type(error.orig).__name__
    password = make_url(url).password
    if password:
        reason = reason.replace(str(password), "***")
    return "cannot connect: " + reason[:300]
