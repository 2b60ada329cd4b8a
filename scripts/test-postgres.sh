#!/usr/bin/env bash
# Sourced by scripts/test.sh: starts a private, throwaway PostgreSQL cluster (a temp dir, a free loopback port, its unix
# socket inside the temp dir) and exports RENDITION_TEST_POSTGRES for the tests; pg_stop_test_cluster stops and removes it.
# Nothing is shared with a system PostgreSQL, so the tests never touch real data and leave nothing behind.

pg_start_test_cluster() {
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    echo "PostgreSQL server binaries not found under /usr/lib/postgresql (apt-get install postgresql)." >&2
    return 1
  fi
  PG_TEST_DIR=$(mktemp -d /tmp/rendition-pg-XXXXXX)
  PG_TEST_BIN=$bin
  # PostgreSQL refuses to run as root: run it as nobody, which then must own its directory.
  PG_TEST_AS=()
  if [ "$(id -u)" = 0 ]; then
    chown nobody "$PG_TEST_DIR"
    PG_TEST_AS=(runuser -u nobody --)
  fi
  mkdir -p "$PG_TEST_DIR/sock" 2>/dev/null || "${PG_TEST_AS[@]}" mkdir -p "$PG_TEST_DIR/sock"
  [ "$(id -u)" = 0 ] && chown nobody "$PG_TEST_DIR/sock"
  "${PG_TEST_AS[@]}" "$bin/initdb" -D "$PG_TEST_DIR/data" -U rendition -A trust -E UTF8 --no-sync >"$PG_TEST_DIR/initdb.log" 2>&1 \
    || { cat "$PG_TEST_DIR/initdb.log" >&2; return 1; }
  local try port
  for try in 1 2 3; do
    # A port the kernel just handed out and released; retried if someone takes it before PostgreSQL binds it.
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    # Durability is pointless for a throwaway cluster: fsync off keeps CREATE DATABASE per test fast.
    if "${PG_TEST_AS[@]}" "$bin/pg_ctl" -D "$PG_TEST_DIR/data" -l "$PG_TEST_DIR/server.log" -w -t 30 start \
      -o "-p $port -k $PG_TEST_DIR/sock -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
      >/dev/null 2>&1; then
      export RENDITION_TEST_POSTGRES="Host=127.0.0.1;Port=$port;Username=rendition;Database=postgres;Timeout=30"
      echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') for the tests on 127.0.0.1:$port ($PG_TEST_DIR)"
      return 0
    fi
  done
  cat "$PG_TEST_DIR/server.log" >&2
  return 1
}

pg_stop_test_cluster() {
  [ -n "${PG_TEST_DIR:-}" ] || return 0
  "${PG_TEST_AS[@]}" "$PG_TEST_BIN/pg_ctl" -D "$PG_TEST_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$PG_TEST_DIR"
  PG_TEST_DIR=
}
