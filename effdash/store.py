"""Opening the database: engine settings, migrations to head, sessions."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from effdash.errors import ConfigurationError, DatabaseUnavailable, SchemaTooNew

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000
MIGRATION_LOCK_KEY = 0x6566_6664  # "effd": PostgreSQL advisory lock held while migrating


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys and a busy timeout."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigurationError(
            f"Cannot read the database URL {url!r}. Use e.g. sqlite:///data/effdash.db or "
            "postgresql+psycopg://user:password@host/dbname."
        ) from exc
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    try:
        return create_engine(parsed, pool_pre_ping=True)
    except (ImportError, ModuleNotFoundError) as exc:
        raise ConfigurationError(
            f"The driver for {parsed.drivername} is not installed ({exc}). "
            "For PostgreSQL run: pip install 'psycopg[binary]'."
        ) from exc


def _alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def head_revision() -> str:
    return ScriptDirectory.from_config(_alembic_config(None)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    """Serialise migrations between processes opening the same database at once."""
    database = engine.url.database
    if engine.dialect.name == "sqlite" and database and database != ":memory:":
        import fcntl

        with open(f"{database}-migrate.lock", "a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            yield
    elif engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
                conn.commit()
    else:
        yield


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database to ``revision``; refuse a database newer than this code."""
    try:
        with _migration_lock(engine):
            _upgrade_locked(engine, revision)
    except OperationalError as exc:
        raise DatabaseUnavailable(
            f"Cannot open the database {engine.url.render_as_string(hide_password=True)}: {exc.orig}. "
            "Check the URL and that the server is running."
        ) from exc


def _upgrade_locked(engine: Engine, revision: str) -> None:
    script = ScriptDirectory.from_config(_alembic_config(engine))
    try:
        current = current_revision(engine)
    except OperationalError as exc:
        raise DatabaseUnavailable(
            f"Cannot open the database {engine.url.render_as_string(hide_password=True)}: {exc.orig}. "
            "Check the URL and that the server is running."
        ) from exc
    known = {rev.revision for rev in script.walk_revisions()}
    if current is not None and current not in known:
        raise SchemaTooNew(
            f"The database is at schema revision {current}, which this effdash does not know: "
            "it was upgraded by a newer effdash. Upgrade effdash (pip install -U effdash) "
            "or point --db at another database."
        )
    target = script.get_current_head() if revision == "head" else revision
    if current != target:
        command.upgrade(_alembic_config(engine), revision)


class Store:
    """The opened database: an engine migrated to head and a session factory."""

    def __init__(self, url: str, *, migrate: bool = True):
        self.url = url
        self.engine = make_engine(url)
        if migrate:
            upgrade(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on any error."""
        session = self._sessions()
        try:
            with session.begin():
                yield session
        except OperationalError as exc:
            raise DatabaseUnavailable(
                f"The database did not answer ({exc.orig}). Check that it is running, then retry."
            ) from exc
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()


def open_store(url: str) -> Store:
    """Open (and migrate) the store at ``url``; errors are EffdashErrors with a remedy."""
    try:
        return Store(url)
    except SQLAlchemyError as exc:
        raise DatabaseUnavailable(f"Cannot open the database: {exc}. Check the URL and the server.") from exc


def data_version(store: Store) -> tuple:
    """A cheap fingerprint of the data; changes whenever rows are added or removed (cache key)."""
    from sqlalchemy import func, select

    from effdash.schema import Measurement, Model, QualityScore

    # Two statements per table on purpose: SQLite answers a bare count(*) from the b-tree and
    # max(id) from the primary key, but combined it reads every row (80 ms at 1M rows vs 10 ms).
    with store.session() as session:
        return tuple(
            (session.scalar(select(func.count()).select_from(t)), session.scalar(select(func.max(t.id))))
            for t in (Measurement, QualityScore, Model)
        )
