"""Where the database is, and how SQLite is opened."""

from sqlalchemy import text

from effdash.config import DEFAULT_URL, resolve_database_url
from effdash.store import Store


def test_precedence_cli_env_secrets_default(monkeypatch, tmp_path):
    secrets = {"connections": {"effdash": {"url": "sqlite:///from-secrets.db"}}}
    assert resolve_database_url(None, secrets={}) == DEFAULT_URL
    assert resolve_database_url(None, secrets=secrets) == "sqlite:///from-secrets.db"
    monkeypatch.setenv("EFFDASH_DATABASE_URL", "sqlite:///from-env.db")
    assert resolve_database_url(None, secrets=secrets) == "sqlite:///from-env.db"
    assert resolve_database_url("sqlite:///from-cli.db", secrets=secrets) == "sqlite:///from-cli.db"


def test_secrets_file_in_project_folder(monkeypatch, tmp_path):
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text('[connections.effdash]\nurl = "sqlite:///s.db"\n')
    monkeypatch.chdir(tmp_path)
    assert resolve_database_url() == "sqlite:///s.db"


def test_default_database_lives_in_data():
    assert DEFAULT_URL.startswith("sqlite:///") and DEFAULT_URL.endswith("/data/effdash.db")


def test_sqlite_is_opened_with_wal_foreign_keys_and_busy_timeout(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'nested' / 'e.db'}")  # the folder is created
    with store.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30000
    store.dispose()
