"""The deadline-day load benchmark: gunicorn + PostgreSQL + Redis + a Celery worker on 127.0.0.1, driven by locust.

    .venv/bin/python benchmarks/load/run.py [--users 20,50,100] [--run-time 75] [--spawn-rate 10]
        [--workers 2] [--threads 8] [--worker-class gthread|sync] [--port 8400] [--applicants 500] [--decisions 150] [--keep]

One command, never part of `make test`. It
1. drops and creates the PostgreSQL database greenmfg_bench_load (BENCH_PG, default postgres://postgres@127.0.0.1:5432)
   and uses Redis DB 11 (BENCH_REDIS, emptied first) as broker and cache, with its own queue;
2. migrates, collects the static files (manifest storage, as in production), loads the demo and seeds the
   deadline-day population through the services (load_seed.py);
3. starts gunicorn (gthread, DEBUG off, benchmarks/load/bench_settings.py) and one Celery worker;
4. runs locust headless (locustfile.py) at each user count for --run-time seconds (ramp-up included), records
   `uptime` before and after each run, waits for the worker to finish, and checks what the load was told was
   accepted against the database (load_check.py);
5. stops every process it started (also on failure or Ctrl-C), drops the database unless --keep, and writes the
   results table to var/load/<time>/results.md (locust's CSV files beside it).
"""

import argparse
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
PG_SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
PG_NAME = "greenmfg_bench_load"
REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/11")
QUEUE = "greenmfg-bench-load"
BIN = Path(sys.executable).parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", default="20,50,100", help="user counts, one locust run each")
    parser.add_argument("--run-time", type=int, default=75, help="seconds per run, ramp-up included")
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--warmup", type=int, default=20, help="seconds of an unreported 10-user run first (0: none)")
    # 2 × 8 served 22 req/s at 50 users where 4 × 4 served 13–15 and sync × 5 12 (README.md)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=8, help="threads per gunicorn worker (gthread)")
    parser.add_argument("--worker-class", default="gthread", choices=["gthread", "sync"], help="gunicorn -k")
    parser.add_argument("--port", type=int, default=8400)
    parser.add_argument("--think-scale", type=float, default=1.0, help="multiplies every think time (1: 0.5–3 s)")
    parser.add_argument("--applicants", type=int, default=400, help="seeded draft applications")
    parser.add_argument("--decisions", type=int, default=100, help="seeded applications to decide, per level")
    parser.add_argument("--reviewers", type=int, default=8, help="approver accounts per authority")
    parser.add_argument("--keep", action="store_true", help="keep the database and media afterwards")
    args = parser.parse_args()
    users = [int(u) for u in args.users.split(",") if u.strip()]

    out = ROOT / "var" / "load" / datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    out.mkdir(parents=True)
    work = Path(tempfile.mkdtemp(prefix="gm-bench-load-"))
    os.environ.update(environment(work))
    sys.path[:0] = [str(ROOT), str(HERE)]
    processes: list[tuple[subprocess.Popen, object]] = []
    results, setup = [], {}
    ok = False

    def interrupted(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupted)
    try:
        fresh_database()
        fresh_redis()
        import django

        django.setup()
        setup = prepare(args, work)
        processes.append(start_worker(work))
        wait_worker(processes[-1])
        processes.append(start_gunicorn(args, work))
        wait_http(args.port, processes[-1])
        if args.warmup:
            # Fresh processes import lazily, open connections and fill caches on their first requests: a short
            # run first, checked like the others but not reported, so the first reported run is not the cold one.
            warm = run_once(10, args, work, out, run_time=args.warmup, label="warmup")
            if warm["check"]["problems"]:
                results.append(warm)
        for n in users:
            results.append(run_once(n, args, work, out))
        ok = all(not r["check"]["problems"] for r in results)
    finally:
        for proc, log in reversed(processes):
            stop(proc)
            log.close()
        for name in ("gunicorn.log", "worker.log"):
            if (work / name).exists():
                shutil.copy(work / name, out / name)
        from django.db import connections

        connections.close_all()
        if not args.keep:
            drop_database()
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept: database {PG_NAME}, media and logs in {work}")
    if results:
        table = report(results, args, setup)
        (out / "results.md").write_text(table, encoding="utf-8")
        (out / "results.json").write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
        print(table)
        print(f"written to {out}")
    return 0 if ok else 1


# ------------------------------------------------------------------------------------------------ environment


def environment(work: Path) -> dict:
    return {
        "DJANGO_SETTINGS_MODULE": "bench_settings",
        "PYTHONPATH": f"{ROOT}{os.pathsep}{HERE}",
        "DATABASE_URL": f"{PG_SERVER}/{PG_NAME}",
        "CONN_MAX_AGE": "60",
        "CELERY_BROKER_URL": REDIS,
        "CACHE_URL": REDIS,
        "CELERY_TASK_DEFAULT_QUEUE": QUEUE,
        "SECRET_KEY": "load-benchmark-not-secret",
        "DEBUG": "",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "MEDIA_ROOT": str(work / "media"),
        "STATIC_ROOT": str(work / "static"),
        "DOCUMENTS_WORK_DIR": str(work / "documents"),
        "LOG_LEVEL": "WARNING",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def psql(statement: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(statement)


def fresh_database() -> None:
    psql(f"DROP DATABASE IF EXISTS {PG_NAME} WITH (FORCE)")
    psql(f"CREATE DATABASE {PG_NAME}")


def fresh_redis() -> None:
    """Redis DB 11 is this benchmark's own: a previous run's rate-limit counts (the demo's public objections are
    limited per address and hour) and queued tasks must not carry over."""
    import redis

    redis.Redis.from_url(REDIS).flushdb()


def drop_database() -> None:
    psql(f"DROP DATABASE IF EXISTS {PG_NAME} WITH (FORCE)")


def prepare(args, work: Path) -> dict:
    from django.core.management import call_command
    from load_seed import base_pdf, seed

    from greenmfg.celery import app

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)
    call_command("load_demo", "--force", verbosity=0)
    print(f"migrated, static collected, demo loaded in {time.perf_counter() - started:.0f} s", flush=True)
    app.control.purge()  # left-overs of an interrupted run would be rendered first
    started = time.perf_counter()
    plan = seed(
        applicants=args.applicants,
        decisions={"county": args.decisions, "city": args.decisions, "province": args.decisions},
        reviewers=args.reviewers,
    )
    seconds = time.perf_counter() - started
    print(f"seeded in {seconds:.0f} s", flush=True)
    (work / "base.pdf").write_bytes(base_pdf())
    plan["base_pdf"] = str(work / "base.pdf")
    (work / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
    return {"seed_seconds": round(seconds), "applicants": args.applicants, "decisions": args.decisions}


def remaining(plan: dict) -> dict:
    """What the next run may still work on: drafts without a file, applications still waiting at their authority."""
    from applications.models import Application

    drafts = set(
        Application.objects.filter(
            pk__in=[a["application"] for a in plan["applicants"]], state="draft", files=None
        ).values_list("pk", flat=True)
    )
    waiting = {
        level: list(
            Application.objects.filter(pk__in=ids, state="under_review").order_by("pk").values_list("pk", flat=True)
        )
        for level, ids in plan["decisions"].items()
    }
    return {
        **plan,
        "applicants": [a for a in plan["applicants"] if a["application"] in drafts],
        "decisions": waiting,
    }


# ------------------------------------------------------------------------------------------------ processes


def start_worker(work: Path):
    log = open(work / "worker.log", "w")  # noqa: SIM115
    cmd = [str(BIN / "celery"), "-A", "greenmfg", "worker", "-P", "prefork", "-c", "1", "-Q", QUEUE]
    cmd += ["-n", "load@%h", "--without-gossip", "--without-mingle", "-l", "WARNING"]
    return subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True), log


def wait_worker(worker) -> None:
    from greenmfg.celery import app

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if worker[0].poll() is not None:
            raise RuntimeError(f"the worker exited: {Path(worker[1].name).read_text()[-2000:]}")
        if app.control.ping(destination=[f"load@{os.uname().nodename}"], timeout=1.0):
            return
    raise RuntimeError("the worker did not answer within 90 s")


def start_gunicorn(args, work: Path):
    log = open(work / "gunicorn.log", "w")  # noqa: SIM115
    cmd = [str(BIN / "gunicorn"), "greenmfg.wsgi:application", "-b", f"127.0.0.1:{args.port}"]
    cmd += ["-k", args.worker_class, "-w", str(args.workers), "--timeout", "120"]
    if args.worker_class == "gthread":
        cmd += ["--threads", str(args.threads)]
    # Keep idle connections longer than a user's think time, as a front proxy would: with gunicorn's 2 s default
    # a client reusing a connection the server is just closing gets a reset, which no browser shows as an error.
    cmd += ["--keep-alive", "75"]
    cmd += ["--log-level", "warning", "--error-logfile", "-"]
    return subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True), log


def wait_http(port: int, server) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server[0].poll() is not None:
            raise RuntimeError(f"gunicorn exited: {Path(server[1].name).read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError("gunicorn did not answer within 60 s")


def stop(proc: subprocess.Popen) -> None:
    """The process and everything it started (its own session): gunicorn's and Celery's children too."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    except ProcessLookupError:
        pass


CPU_GROUPS = ("gunicorn", "postgres", "celery", "locust", "redis")


def cpu_seconds() -> dict[str, float]:
    """CPU seconds used so far by every process on the machine, summed by program (children waited for included)."""
    tick = os.sysconf("SC_CLK_TCK")
    totals = dict.fromkeys((*CPU_GROUPS, "other"), 0.0)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            raw = stat.read_text()
            cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        name = raw[raw.index("(") + 1 : raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2 :].split()
        used = sum(int(x) for x in fields[11:15]) / tick  # utime, stime, cutime, cstime
        group = next((g for g in CPU_GROUPS if g in name or g in cmdline), "other")
        totals[group] += used
    return totals


def children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def loadavg() -> list[float]:
    """uptime's 1, 5 and 15 minute load averages."""
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


# ------------------------------------------------------------------------------------------------ one run


def run_once(n: int, args, work: Path, out: Path, *, run_time: int | None = None, label: str = "") -> dict:
    from django.utils import timezone
    from load_check import check, read_records

    tag = label or str(n)
    plan = remaining(json.loads((work / "plan.json").read_text(encoding="utf-8")))
    plan_path = work / f"plan-{tag}.json"
    plan_path.write_text(json.dumps(plan), encoding="utf-8")
    records, summary = out / f"accepted-{tag}.jsonl", out / f"summary-{tag}.json"
    env = {**os.environ, "LOAD_PLAN": str(plan_path), "LOAD_RECORD": str(records), "LOAD_SUMMARY": str(summary)}
    env["LOAD_THINK_SCALE"] = str(args.think_scale)
    cmd = [str(BIN / "locust"), "-f", str(HERE / "locustfile.py"), "--headless", "-u", str(n)]
    cmd += ["-r", str(args.spawn_rate), "-t", f"{run_time or args.run_time}s", "--stop-timeout", "120"]
    cmd += ["--host", f"http://127.0.0.1:{args.port}", "--csv", str(out / f"users-{tag}"), "--only-summary"]
    cmd += ["--loglevel", "WARNING"]
    print(
        f"run{' (' + label + ')' if label else ''}: {n} users, {len(plan['applicants'])} drafts and "
        f"{ {k: len(v) for k, v in plan['decisions'].items()} } decisions available",
        flush=True,
    )
    since = timezone.now()
    before, cpu_before, started = loadavg(), cpu_seconds(), time.monotonic()
    children_before = children_cpu()
    log = open(out / f"locust-{tag}.log", "w")  # noqa: SIM115
    locust = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        locust.wait(timeout=(run_time or args.run_time) + 240)
    finally:
        stop(locust)
        log.close()
    after, cpu_after, elapsed = loadavg(), cpu_seconds(), time.monotonic() - started
    # locust has exited by now: its time is in this process's waited-for children, not under its own name
    locust_cpu = children_cpu() - children_before
    cpu_after["locust"] += locust_cpu
    cpu_after["other"] -= locust_cpu
    # share of the machine's cores each program took during the run (100 % = one core busy the whole run)
    cpu = {g: round(100 * (cpu_after[g] - cpu_before[g]) / elapsed) for g in cpu_after}
    drained = drain(since)
    result = check(read_records(records), since=since)
    print(
        f"  check: {json.dumps({k: v for k, v in result.items() if k != 'problems'})}, "
        f"{len(result['problems'])} problems",
        flush=True,
    )
    for problem in result["problems"][:20]:
        print(f"    {problem}", flush=True)
    return {
        "users": f"{n} ({label})" if label else n,
        "load_before": before,
        "load_after": after,
        "drain_seconds": drained,
        "cpu": cpu,
        "stats": read_stats(out / f"users-{tag}_stats.csv"),
        # an exception inside a task (the client's own fault) is not a failed request in locust's count: add it
        "exceptions": sum(int(row["Count"]) for row in read_stats(out / f"users-{tag}_exceptions.csv")),
        "summary": json.loads(summary.read_text()) if summary.exists() else {},
        "check": result,
    }


def drain(since) -> float:
    """Wait until the worker has rendered every document asked for in the run (the check wants them done)."""
    from documents.models import GeneratedDocument

    started = time.monotonic()
    while time.monotonic() - started < 300:
        if not GeneratedDocument.objects.filter(created_at__gte=since, status__in=["queued", "running"]).exists():
            break
        time.sleep(1)
    return round(time.monotonic() - started, 1)


def read_stats(path: Path) -> list[dict]:
    import csv

    if not path.exists():
        return []
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


# ------------------------------------------------------------------------------------------------ report


def report(results: list[dict], args, setup: dict) -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor(),
    )
    lines = [
        f"Machine: {os.cpu_count()} cores ({cpu}), {platform.platform()}, Python {platform.python_version()}",
        f"gunicorn {args.worker_class} {args.workers} workers"
        f"{f' × {args.threads} threads' if args.worker_class == 'gthread' else ''}; 1 Celery worker (prefork -c 1); "
        f"PostgreSQL and Redis on 127.0.0.1; locust single process; {args.run_time} s per run "
        f"(spawn rate {args.spawn_rate}/s, ramp-up included; think times ×{args.think_scale:g}); seeded {setup.get('applicants')} drafts, "
        f"{setup.get('decisions')} applications to decide per level in {setup.get('seed_seconds')} s.",
        "",
        "| users | load avg before → after | req/s | requests | errors (failed requests + client exceptions) | app p50 / p95 / p99 (ms) | "
        "app w/o login p50 / p95 / p99 | bare p50 / p95 / p99 | ratio p50 / p95 | accepted (uploads, submits, "
        "decisions, documents) | check |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        total = next((s for s in r["stats"] if s["Name"] == "Aggregated"), {})
        app, bare = r["summary"].get("app", {}), r["summary"].get("bare", {})
        nologin = r["summary"].get("app without login", {})
        c = r["check"]
        ratio = (
            f"{app['p50'] / bare['p50']:.1f}× / {app['p95'] / bare['p95']:.1f}×"
            if app and bare and bare["p50"] and bare["p95"]
            else "—"
        )
        lines.append(
            f"| {r['users']} | {' '.join(f'{x:.2f}' for x in r['load_before'])} → "
            f"{' '.join(f'{x:.2f}' for x in r['load_after'])} | {float(total.get('Requests/s', 0)):.1f} | "
            f"{total.get('Request Count', '—')} | {total.get('Failure Count', '—')} + {r['exceptions']} | "
            f"{fmt(app)} | {fmt(nologin)} | {fmt(bare)} | {ratio} | "
            f"{c['uploads']}, {c['submissions']}, {c['decisions']}, {c['documents']} | "
            f"{'OK' if not c['problems'] else str(len(c['problems'])) + ' problems'} |"
        )
    lines += ["", "CPU during each run, % of one core (the machine has " + str(os.cpu_count()) + "):", ""]
    groups = (*CPU_GROUPS, "other")
    lines += ["| users | " + " | ".join(groups) + " |", "|" + " --- |" * (len(groups) + 1)]
    for r in results:
        lines.append(f"| {r['users']} | " + " | ".join(str(r.get("cpu", {}).get(g, "—")) for g in groups) + " |")
    for r in results:
        lines += [
            "",
            f"{r['users']} users, per request type (locust; ms):",
            "",
            "| request | count | errors | req/s | p50 | p95 | p99 | max |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        for s in r["stats"]:
            lines.append(
                f"| {s['Type']} {s['Name']} | {s['Request Count']} | {s['Failure Count']} | "
                f"{float(s['Requests/s']):.2f} | {s['50%']} | {s['95%']} | {s['99%']} | {float(s['Max Response Time']):.0f} |"
            )
        if r["summary"].get("counters"):
            lines.append(f"\nCounters: {r['summary']['counters']}")
        if r["check"]["problems"]:
            lines += ["", "Check problems:", *[f"- {p}" for p in r["check"]["problems"][:50]]]
    return "\n".join(lines) + "\n"


def fmt(summary: dict) -> str:
    if not summary:
        return "—"
    return f"{summary['p50']:.0f} / {summary['p95']:.0f} / {summary['p99']:.0f}"


if __name__ == "__main__":
    sys.exit(main())
