"""Batch eligibility benchmark: seed a national data set into a fresh database, then evaluate every application.

    DJANGO_SETTINGS_MODULE=greenmfg.settings .venv/bin/python benchmarks/eligibility_batch.py [--backend sqlite]
        [--backend postgres] [--applications 20000] [--seed 1] [--keep] [--profile /tmp/eligibility.prof]

With no --backend it runs SQLite, then PostgreSQL, each in its own process (settings are read from the environment
at start-up). SQLite: a fresh file /tmp/greenmfg_bench.sqlite3. PostgreSQL: the database greenmfg_bench on
BENCH_PG (default postgres://postgres@127.0.0.1:5432), dropped and created by the script, dropped again at the end
unless --keep. Nothing else is touched.

Measured: seed time; queries of one chunk of 100 and one of 500 (CaptureQueriesContext; they must be equal);
the rate of a fresh evaluation of all applications (eligibility.services.evaluate, force=True, in chunks of
services.CHUNK) and of a re-evaluation with nothing changed (every result re-used). Not a timed test: figures are
written down by hand in benchmarks/README.md with the machine noted.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SQLITE_FILE = Path("/tmp/greenmfg_bench.sqlite3")
PG_SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
PG_NAME = "greenmfg_bench"
TARGET = 1000  # applications a second, issue 5


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", action="append", choices=["sqlite", "postgres"])
    parser.add_argument("--applications", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database afterwards")
    parser.add_argument("--profile", help="write a cProfile of the fresh evaluation pass to this file")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    backends = args.backend or ["sqlite", "postgres"]
    if args.child:
        return run(backends[0], args)
    results = []
    for backend in backends:
        cmd = [sys.executable, __file__, "--child", "--backend", backend, "--applications", str(args.applications)]
        cmd += ["--seed", str(args.seed)] + (["--keep"] if args.keep else [])
        if args.profile:
            cmd += ["--profile", f"{args.profile}.{backend}"]
        out = subprocess.run(cmd, cwd=ROOT, env=environment(backend), capture_output=True, text=True)
        sys.stderr.write(out.stderr)
        print(out.stdout, end="")
        if out.returncode:
            return out.returncode
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(machine())
    for r in results:
        verdict = "met" if min(r["fresh_rate"], r["reuse_rate"]) >= TARGET else "MISSED"
        print(
            f"{r['backend']:<10} seed {r['seed_s']:.1f} s | fresh {r['fresh_rate']:.0f}/s | re-used "
            f"{r['reuse_rate']:.0f}/s | queries per chunk 100: {r['queries_100']}, 500: {r['queries_500']} "
            f"(re-use 100: {r['reuse_queries_100']}, 500: {r['reuse_queries_500']}) | per notice "
            f"{r['per_notice_rate']:.0f}/s over {r['notices']} notices | target {TARGET}/s {verdict}"
        )
    return 0


def environment(backend: str) -> dict:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "greenmfg.settings", "DEBUG": "", "SECRET_KEY": "benchmark"}
    env.pop("DATABASE_URL", None)
    env.pop("CELERY_BROKER_URL", None)  # eager: a re-evaluation task must not need a broker
    if backend == "sqlite":
        env["SQLITE_PATH"] = str(SQLITE_FILE)
    else:
        env["DATABASE_URL"] = f"{PG_SERVER}/{PG_NAME}"
        env["CONN_MAX_AGE"] = "0"
    return env


def machine() -> str:
    import sqlite3

    mem = next((line.split()[1] for line in open("/proc/meminfo") if line.startswith("MemTotal")), "?")
    load = os.getloadavg()
    return (
        f"machine: {os.cpu_count()} CPUs, {int(mem) // 1024 // 1024} GiB, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )


def fresh_database(backend: str) -> None:
    if backend == "sqlite":
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{SQLITE_FILE}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_NAME}")
        conn.execute(f"CREATE DATABASE {PG_NAME}")


def drop_database(backend: str) -> None:
    if backend == "sqlite":
        SQLITE_FILE.unlink(missing_ok=True)
        return
    import psycopg
    from django.db import connections

    connections.close_all()
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_NAME}")


def run(backend: str, args) -> int:
    import django

    fresh_database(backend)
    sys.path.insert(0, str(ROOT))
    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from applications.models import Application
    from eligibility import services
    from eligibility.models import Evaluation

    log = sys.stderr.write
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrate_s = time.perf_counter() - started
    log(f"[{backend}] migrated in {migrate_s:.1f} s; seeding {args.applications} applications…\n")
    started = time.perf_counter()
    call_command("seed_scale", applications=args.applications, seed=args.seed, stdout=sys.stderr)
    seed_s = time.perf_counter() - started
    if backend == "postgres":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
            cursor.execute("SELECT version()")
            server = cursor.fetchone()[0].split(" on ")[0]
    else:
        import sqlite3

        server = f"SQLite {sqlite3.sqlite_version}"

    ids = list(Application.objects.order_by("id").values_list("id", flat=True))

    def load(chunk_ids):
        return list(
            Application.objects.filter(pk__in=chunk_ids)
            .select_related("applicant", "notice")  # as services.evaluate_notice
            .defer("notice__body")
            .order_by("id")
        )

    # Rule sets are made on first use (catalogue default per notice): make them before anything is counted.
    started = time.perf_counter()
    services.current_rule_sets(set(Application.objects.values_list("notice_id", flat=True)))
    rule_sets_s = time.perf_counter() - started

    def queries(chunk_ids, force):
        apps = load(chunk_ids)
        with CaptureQueriesContext(connection) as ctx:
            services.evaluate(apps, force=force)
        return len(ctx.captured_queries)

    size = services.CHUNK
    q100 = queries(ids[:100], True)
    q500 = queries(ids[1000 : 1000 + size], True)
    rq100 = queries(ids[:100], False)
    rq500 = queries(ids[1000 : 1000 + size], False)

    def evaluate_all(force):
        started = time.perf_counter()
        for start in range(0, len(ids), size):
            services.evaluate(load(ids[start : start + size]), force=force)
        return time.perf_counter() - started

    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    fresh_s = evaluate_all(True)
    if args.profile:
        profiler.disable()
        profiler.dump_stats(args.profile)
    before = Evaluation.objects.count()
    reuse_s = evaluate_all(False)
    after = Evaluation.objects.count()
    # The command's path (evaluate_eligibility): notice by notice, chunks of at most CHUNK within each notice.
    notices = sorted(set(Application.objects.values_list("notice_id", flat=True)))
    started = time.perf_counter()
    for notice_id in notices:
        services.evaluate_notice(notice_id, force=True)
    per_notice_s = time.perf_counter() - started
    blocked = Evaluation.objects.filter(blocked=True).values("application").distinct().count()
    if after != before:
        log(f"[{backend}] re-evaluation with nothing changed wrote {after - before} new evaluations\n")
    result = {
        "backend": backend,
        "server": server,
        "applications": len(ids),
        "migrate_s": round(migrate_s, 2),
        "seed_s": round(seed_s, 2),
        "rule_sets_s": round(rule_sets_s, 2),
        "fresh_s": round(fresh_s, 2),
        "fresh_rate": round(len(ids) / fresh_s, 1),
        "reuse_s": round(reuse_s, 2),
        "reuse_rate": round(len(ids) / reuse_s, 1),
        "reuse_new_rows": after - before,
        "per_notice_s": round(per_notice_s, 2),
        "per_notice_rate": round(len(ids) / per_notice_s, 1),
        "notices": len(notices),
        "queries_100": q100,
        "queries_500": q500,
        "reuse_queries_100": rq100,
        "reuse_queries_500": rq500,
        "blocked_applications": blocked,
        "chunk": size,
    }
    log(f"[{backend}] {server}\n")
    if not args.keep:
        drop_database(backend)
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
