#!/usr/bin/env bash
# Make sure PostgreSQL (127.0.0.1:5432, trust auth for user postgres) and Redis (127.0.0.1:6379) answer
# (PG_PORT and REDIS_PORT change the ports).
# Where one is not running, start it; where it is not installed, install it from Debian first.
# A server started here keeps its data under .services/ in the project.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SERVICES="${SERVICES_DIR:-$ROOT/.services}"
PG_PORT="${PG_PORT:-5432}"
REDIS_PORT="${REDIS_PORT:-6379}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"

apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

pg_up() { pg_isready -q -h 127.0.0.1 -p "$PG_PORT" 2>/dev/null; }

ensure_postgres() {
  if pg_up; then return; fi
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    echo "installing PostgreSQL from Debian"
    apt_install postgresql postgresql-client
  fi
  # A cluster Debian already made may just be stopped.
  if command -v pg_lsclusters >/dev/null && pg_lsclusters -h 2>/dev/null | awk -v p="$PG_PORT" '$3 == p' | grep -q .; then
    ver=$(pg_lsclusters -h | awk -v p="$PG_PORT" '$3 == p {print $1; exit}')
    $SUDO pg_ctlcluster --skip-systemctl-redirect "$ver" main start || true
    for _ in $(seq 1 30); do pg_up && break; sleep 0.5; done
    if pg_up && psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -c "select 1" >/dev/null 2>&1; then return; fi
    $SUDO pg_ctlcluster --skip-systemctl-redirect "$ver" main stop || true
  fi
  bindir=$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)")
  data="$SERVICES/postgres"
  mkdir -p "$SERVICES"
  run_as=()
  if [ "$(id -u)" -eq 0 ]; then run_as=(runuser -u postgres --); fi
  if [ ! -f "$data/PG_VERSION" ]; then
    mkdir -p "$data"
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$data"
    "${run_as[@]}" "$bindir/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  fi
  echo "starting PostgreSQL in $data"
  "${run_as[@]}" "$bindir/pg_ctl" -D "$data" -l "$data/server.log" -w \
    -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -k /tmp" start >/dev/null
  pg_up || { echo "PostgreSQL did not start; see $data/server.log" >&2; exit 1; }
}

ensure_redis() {
  if redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; then return; fi
  command -v redis-server >/dev/null || { echo "installing Redis from Debian"; apt_install redis-server redis-tools; }
  mkdir -p "$SERVICES/redis"
  echo "starting Redis in $SERVICES/redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
    --dir "$SERVICES/redis" --logfile "$SERVICES/redis/redis.log"
  for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && return; sleep 0.3; done
  echo "Redis did not start; see $SERVICES/redis/redis.log" >&2
  exit 1
}

ensure_postgres
ensure_redis
echo "PostgreSQL and Redis are up"
