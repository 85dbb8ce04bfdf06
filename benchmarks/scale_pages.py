"""Scale benchmark of the pages authorities live in: inbox, expert ranking and statistics, pages and API lists, on
the national data set (seed_scale) in PostgreSQL, at a small and at the full size.

    .venv/bin/python benchmarks/scale_pages.py [--small 2000] [--applications 20000] [--repeat 50] [--seed 1]
        [--keep | --reuse] [--only SUBSTRING] [--json /tmp/scale_pages.json]

For each size, in its own process: a fresh database greenmfg_bench_scale (small: greenmfg_bench_scale_small) on
BENCH_PG (default postgres://postgres@127.0.0.1:5432), dropped and created by the script and dropped at the end
unless --keep; migrate; seed_scale --applications N; every application evaluated (eligibility.services.evaluate,
so the inbox and ranking read real evaluations); ANALYZE. Then each page as the users that have it (scale-ministry,
scale-140000 province, scale-140100 city, the county with the fullest inbox, the province or panel with the most
rows, scale-assessor-01, an expert) with the filters and paging users use: Django's test Client in process with
force_login, 3 warm-up requests, then --repeat timed requests (perf_counter around client.get), then one more
inside CaptureQueriesContext for the query count. Every response must be 200 (and, at the full size, hold rows
where rows are expected). The load average (os.getloadavg) is recorded before and after each size.

Printed: per case p50 / p95 / max in ms and queries at both sizes; a case misses when p95 >= 150 ms at the full size
or when its query count differs between the sizes. Not a timed test: figures go into benchmarks/scale/README.md by
hand with the machine noted.
"""

import argparse
import json
import math
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
PG_NAME = "greenmfg_bench_scale"
TARGET_MS = 150
STATIC_ROOT = "/tmp/greenmfg_bench_scale_static"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applications", type=int, default=20000)
    parser.add_argument(
        "--small", type=int, default=2000, help="the small size whose query counts must match (every user has rows)"
    )
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark databases afterwards")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="measure a database kept by --keep as it is (no drop, no seeding); implies --keep",
    )
    parser.add_argument("--only", help="run only the cases whose name contains this")
    parser.add_argument("--json", help="also write every figure to this file")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return run(args)
    results = {}
    for label, size, name in (("small", args.small, f"{PG_NAME}_small"), ("full", args.applications, PG_NAME)):
        cmd = [sys.executable, __file__, "--child", name, "--applications", str(size), "--seed", str(args.seed)]
        cmd += ["--repeat", str(args.repeat)] + (["--keep"] if args.keep or args.reuse else [])
        cmd += ["--reuse"] if args.reuse else []
        cmd += ["--only", args.only] if args.only else []
        out = subprocess.run(cmd, cwd=ROOT, env=environment(name), capture_output=True, text=True)
        sys.stderr.write(out.stderr)
        if out.returncode:
            print(out.stdout)
            return out.returncode
        results[label] = json.loads(out.stdout.strip().splitlines()[-1])
    if args.json:
        Path(args.json).write_text(json.dumps(results, ensure_ascii=False, indent=1))
    report(results)
    return 0


def environment(name: str) -> dict:
    # One process: its local cache is shared by all it serves, so configuration is kept between requests.
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "greenmfg.settings",
        "DEBUG": "",
        "SECRET_KEY": "benchmark",
        "SHARED_CONFIG_CACHE": "1",
    }
    env["DATABASE_URL"] = f"{PG_SERVER}/{name}"
    env["CONN_MAX_AGE"] = "60"  # a web process keeps its connection
    env["ALLOWED_HOSTS"] = "testserver"
    env["STATIC_ROOT"] = STATIC_ROOT  # production's manifest storage: collected once, outside the tree
    env.pop("CELERY_BROKER_URL", None)  # eager: nothing here may need a broker
    return env


def machine() -> str:
    mem = next((line.split()[1] for line in open("/proc/meminfo") if line.startswith("MemTotal")), "?")
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    return f"{os.cpu_count()} CPUs ({cpu}), {int(mem) // 1024 // 1024} GiB, Python {platform.python_version()}"


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def report(results: dict) -> None:
    small, full = results["small"], results["full"]
    print(f"machine: {machine()}; {full['server']}")
    for label in ("small", "full"):
        r = results[label]
        print(
            f"{label}: {r['applications']} applications, seed {r['seed_s']:.1f} s, evaluate {r['evaluate_s']:.1f} s, "
            f"load average before {r['load_before']}, after {r['load_after']}"
        )
    small_by = {c["name"]: c for c in small["cases"]}
    print(f"{'case':<58} {'p50':>7} {'p95':>7} {'max':>7}  queries small/full  rows  verdict")
    misses = 0
    for c in full["cases"]:
        s = small_by.get(c["name"], {})
        same = s.get("queries") == c["queries"]
        ok = c["p95"] < TARGET_MS and same
        misses += not ok
        verdict = "ok" if ok else ("SLOW " if c["p95"] >= TARGET_MS else "") + ("" if same else "QUERIES DIFFER")
        print(
            f"{c['name']:<58} {c['p50']:7.1f} {c['p95']:7.1f} {c['max']:7.1f}  "
            f"{s.get('queries', '-'):>7} / {c['queries']:<7}  {c.get('rows', ''):>5}  {verdict}"
        )
    print(
        f"{len(full['cases']) - misses} of {len(full['cases'])} cases met the target (p95 < {TARGET_MS} ms, equal queries)"
    )


# ---------------------------------------------------------------------------------------------------- the child


def fresh_database(name: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")


def drop_database(name: str) -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")


def run(args) -> int:
    import django

    name = args.child
    if not args.reuse:
        fresh_database(name)
    sys.path.insert(0, str(ROOT))
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    log = sys.stderr.write
    call_command("migrate", verbosity=0)
    if not Path(STATIC_ROOT, "staticfiles.json").exists():
        call_command("collectstatic", interactive=False, verbosity=0)
    seed_s = evaluate_s = 0.0
    if not args.reuse:
        log(f"[{name}] seeding {args.applications} applications…\n")
        started = time.perf_counter()
        call_command("seed_scale", applications=args.applications, seed=args.seed, stdout=sys.stderr)
        seed_s = time.perf_counter() - started
        started = time.perf_counter()
        evaluate_all()
        evaluate_s = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute("SELECT version()")
        server = cursor.fetchone()[0].split(" on ")[0]
    load_before = load()
    cases = [c for c in build_cases() if not args.only or args.only in c["name"]]
    log(f"[{name}] {len(cases)} cases × {args.repeat}, load average {load_before}\n")
    from greenmfg.process import settle

    settle()  # as greenmfg/wsgi.py does in a web process
    measured = [measure(case, args.repeat) for case in cases]
    result = {
        "database": name,
        "server": server,
        "applications": args.applications,
        "seed_s": round(seed_s, 2),
        "evaluate_s": round(evaluate_s, 2),
        "load_before": load_before,
        "load_after": load(),
        "repeat": args.repeat,
        "cases": measured,
    }
    if not args.keep:
        drop_database(name)
    print(json.dumps(result, ensure_ascii=False))
    return 0


def evaluate_all() -> None:
    from applications.models import Application
    from eligibility import services

    ids = list(Application.objects.order_by("id").values_list("id", flat=True))
    services.current_rule_sets(set(Application.objects.values_list("notice_id", flat=True)))
    for start in range(0, len(ids), services.CHUNK):
        chunk = Application.objects.filter(pk__in=ids[start : start + services.CHUNK])
        services.evaluate(list(chunk.select_related("applicant", "notice").defer("notice__body").order_by("id")))


def build_cases() -> list[dict]:
    """Every case: name, username, url, and what the response must hold at the full size."""
    from django.db.models import Count

    from applications.models import Application, State
    from organizations.models import Organization
    from reviews.models import Assignment, Panel

    def busiest(level: str) -> Organization:
        row = (
            Application.objects.filter(state=State.UNDER_REVIEW, holder__level=level)
            .values("holder_id")
            .annotate(n=Count("id"))
            .order_by("-n", "holder_id")
            .first()
        )
        return Organization.objects.get(pk=row["holder_id"])

    def user_of(org: Organization) -> str:
        return "scale-ministry" if org.level == "ministry" else f"scale-{org.region_id}"

    def biggest_panel(**where) -> Panel:
        return (
            Panel.objects.filter(**where)
            .annotate(n=Count("assignments__application", distinct=True))
            .order_by("-n", "id")
            .first()
        )

    county = user_of(busiest("county"))
    top_province = busiest("province")
    users = {
        "ministry": "scale-ministry",
        "province 140000": "scale-140000",
        "city 140100": "scale-140100",
        "busiest county": county,
        "busiest province": user_of(top_province),
    }
    cases = []

    def add(page, who, username, url, rows=None):
        cases.append({"name": f"{page} · {who}", "username": username, "url": url, "rows": rows})

    for who, username in users.items():
        add("inbox first page", who, username, "/reviews/inbox/")
        add("inbox page 3", who, username, "/reviews/inbox/?page=3")
        add("inbox search", who, username, "/reviews/inbox/?q=%E7%A7%91%E6%8A%80")  # 科技
        add("inbox done, returned", who, username, "/reviews/inbox/?tab=done&state=returned")
        add("api applications", who, username, "/api/v1/applications/")
        add("api applications page 5", who, username, "/api/v1/applications/?page={page:5}")
        add("api applications under review", who, username, "/api/v1/applications/?state=under_review")
        add("stats overview", who, username, "/stats/")
        add("stats overview all years", who, username, "/stats/?year=all&apage=2")
        add("stats pass rates", who, username, "/stats/pass-rates/")
        add("stats pass rates page 2", who, username, "/stats/pass-rates/?page=2")
        add("stats trends", who, username, "/stats/trends/")
        add("api pass rates", who, username, "/api/v1/assessors/pass-rates/")
        add("api pass rates 2030 page 2", who, username, "/api/v1/assessors/pass-rates/?year=2030&page={page:2}")
    province = Organization.objects.get(region_id="140000", kind="authority", address__contains="seed_scale")
    add("stats pass rates, one province", "ministry", "scale-ministry", f"/stats/pass-rates/?province={province.pk}")
    assessor = "scale-assessor-01"
    add("api applications", "assessor 01", assessor, "/api/v1/applications/")
    add("api applications page 2", "assessor 01", assessor, "/api/v1/applications/?page={page:2}")
    add("api pass rates", "assessor 01", assessor, "/api/v1/assessors/pass-rates/")
    panels = {"140000's biggest panel": biggest_panel(authority__region_id="140000")}
    top_panel = biggest_panel()
    panels["biggest panel"] = top_panel
    for who, panel in panels.items():
        if panel is None:
            continue
        username = user_of(panel.authority)
        what = who
        add("ranking", what, username, f"/reviews/experts/panels/{panel.pk}/ranking/")
        add("api ranking", what, username, f"/api/v1/expert-reviews/panels/{panel.pk}/ranking/")
        add("api panels", who, username, "/api/v1/expert-reviews/panels/")
        add("api assignments of the panel", what, username, f"/api/v1/expert-reviews/assignments/?panel={panel.pk}")
        add(
            "api assignments page 3",
            what,
            username,
            f"/api/v1/expert-reviews/assignments/?panel={panel.pk}&page={{page:3}}",
        )
        expert = (
            Assignment.objects.filter(panel=panel)
            .values("expert__user__username")
            .annotate(n=Count("id"))
            .order_by("-n", "expert__user__username")
            .first()["expert__user__username"]
        )
        add("expert's assignments", what, expert, "/reviews/experts/assignments/")
        add("api expert's assignments", what, expert, "/api/v1/expert-reviews/assignments/")
    return cases


def later_page(client, url: str) -> str:
    """{page:N} in an API list's URL: page N, or the last page when there are fewer (DRF answers 404 past it)."""
    match = re.search(r"\{page:(\d+)\}", url)
    if not match:
        return url
    first = client.get(re.sub(r"[?&]page=\{page:\d+\}", "", url)).json()
    pages = max(1, math.ceil(first["count"] / max(1, len(first["results"]) or 1)))
    return url.replace(match.group(0), str(min(int(match.group(1)), pages)))


def measure(case: dict, repeat: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(get_user_model().objects.get(username=case["username"]))
    case["url"] = later_page(client, case["url"])
    for _ in range(3):
        response = client.get(case["url"])
        if response.status_code != 200:
            raise SystemExit(f"{case['name']}: {case['url']} answered {response.status_code}")
    times, cpu = [], []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        client.get(case["url"])
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(case["url"])
    times.sort()
    if response["Content-Type"].startswith("application/json"):
        body = response.json()
        rows = body.get("count", len(body.get("rows", []))) if isinstance(body, dict) else len(body)
    else:
        rows = response.content.count(b"<tr")  # table rows on the page (headers included)
    return {
        "name": case["name"],
        "url": case["url"],
        "username": case["username"],
        "p50": round(statistics.median(times), 2),
        "p95": round(times[min(len(times) - 1, round(0.95 * len(times)) - 1)], 2),
        "max": round(times[-1], 2),
        "cpu_p50": round(statistics.median(cpu), 2),  # this process only (Python), not PostgreSQL's
        "queries": len(ctx.captured_queries),
        "bytes": len(response.content),
        "rows": rows,
    }


if __name__ == "__main__":
    sys.exit(main())
