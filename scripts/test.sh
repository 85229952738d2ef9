#!/usr/bin/env bash
# The test command: installs what the tests need (once), starts a throwaway PostgreSQL
# server on 127.0.0.1, and runs the whole suite against SQLite and PostgreSQL.
#
#   bash scripts/test.sh              # everything
#   bash scripts/test.sh tests/e2e -x # pytest arguments pass through
#
# On a fresh Debian machine (root, apt) it installs the Debian packages postgresql and
# chromium (the browser tests drive /usr/bin/chromium; no browser download) and the Python
# dependencies into .venv. On a machine that already has everything it only checks, so a
# second run starts the tests within seconds. Set EFFDASH_TEST_POSTGRES_URL to use a
# PostgreSQL server of your own instead (a role allowed to CREATE DATABASE).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { echo "scripts/test.sh: $*" >&2; }

pg_bindir() {
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [ -n "$dir" ] && [ -x "$dir/initdb" ] && echo "$dir"
}

install_debian_packages() {
    local missing=()
    pg_bindir >/dev/null || missing+=(postgresql)
    [ -x /usr/bin/chromium ] || missing+=(chromium)
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
        log "missing ${missing[*]} and cannot apt-get install them (not root on Debian);" \
            "the PostgreSQL or browser tests will be skipped"
        return 0
    fi
    log "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
}

requirement_files() {
    local f
    for f in requirements.txt requirements-test.txt requirements-measure.txt; do
        [ -f "$f" ] && echo "$f"
    done
}

install_python_deps() {
    [ -x .venv/bin/python ] || python3 -m venv .venv
    local stamp=.venv/.effdash-deps.sha256 files digest
    mapfile -t files < <(requirement_files)
    digest=$(cat "${files[@]}" pyproject.toml | sha256sum | cut -d' ' -f1)
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$digest" ]; then
        return 0
    fi
    log "installing Python dependencies from ${files[*]}"
    .venv/bin/pip install -q --upgrade pip
    # torch first, pinned, so that nothing later pulls a CUDA build of it.
    .venv/bin/pip install -q "torch==2.13.0"
    local args=() f
    for f in "${files[@]}"; do args+=(-r "$f"); done
    # playwright from PyPI for its Python API only: the tests drive Debian's /usr/bin/chromium,
    # so `playwright install` (a browser download) is never run.
    .venv/bin/pip install -q "${args[@]}" playwright
    .venv/bin/pip install -q -e . --no-deps
    echo "$digest" > "$stamp"
}

free_port() {
    .venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Run a PostgreSQL binary as a non-root user: initdb and postgres refuse to run as root.
as_pg_user() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

PG_DIR=""
stop_postgres() {
    [ -n "$PG_DIR" ] || return 0
    as_pg_user "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$PG_DIR"
}

start_postgres() {
    if [ -n "${EFFDASH_TEST_POSTGRES_URL:-}" ]; then
        log "using the PostgreSQL server at \$EFFDASH_TEST_POSTGRES_URL"
        return 0
    fi
    PG_BIN=$(pg_bindir) || { log "no PostgreSQL server binaries; PostgreSQL tests will be skipped"; return 0; }
    PG_DIR=$(mktemp -d /tmp/effdash-pg.XXXXXX)
    trap stop_postgres EXIT
    [ "$(id -u)" = 0 ] && chown postgres: "$PG_DIR"
    local port
    port=$(free_port)
    as_pg_user "$PG_BIN/initdb" -D "$PG_DIR/data" -U effdash --auth=trust -E UTF8 --no-locale >/dev/null
    # Throwaway data: durability off for speed; TCP on 127.0.0.1 only, socket in the temp dir.
    as_pg_user "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -o \
        "-c listen_addresses=127.0.0.1 -p $port -k $PG_DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
        start >/dev/null
    export EFFDASH_TEST_POSTGRES_URL="postgresql+psycopg://effdash@127.0.0.1:$port/postgres"
    log "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (data in $PG_DIR)"
}

install_debian_packages
install_python_deps
start_postgres
.venv/bin/python -m pytest -q "$@"
