"""Server time and queries of the deadline-day views, in one process, on the database a load run kept.

    .venv/bin/python benchmarks/load/run.py --users 20 --keep        # prints the work directory it kept
    .venv/bin/python benchmarks/load/profile_views.py --work /tmp/gm-bench-load-XXXX [--repeat 5]

For each view of the mix: the median wall time over --repeat requests (Django's test client, no network, no
gunicorn), the number of queries, and the statements repeated most (an N+1 shows as one statement run per row).
Uploads and decisions act on applications the load left untouched. Drop the kept database afterwards:
`psql -h 127.0.0.1 -U postgres -c 'DROP DATABASE greenmfg_bench_load WITH (FORCE)'`.
"""

import argparse
import json
import os
import re
import statistics
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", required=True, type=Path, help="the work directory run.py --keep kept")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--only", default="", help="profile only the views whose label contains this")
    parser.add_argument("--slowest", type=int, default=0, help="print the N slowest statements of each view")
    parser.add_argument("--cprofile", action="store_true", help="cProfile each view, print the top functions")
    args = parser.parse_args()
    sys.path[:0] = [str(ROOT), str(HERE)]
    from run import environment

    os.environ.update(environment(args.work))
    os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1"
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from pdf_slot import unique_pdf

    from applications.models import Application

    plan = json.loads((args.work / "plan.json").read_text(encoding="utf-8"))
    base = Path(plan["base_pdf"]).read_bytes()
    User = get_user_model()
    drafts = [
        a
        for a in plan["applicants"]
        if Application.objects.filter(pk=a["application"], state="draft", files=None).exists()
    ][: args.repeat + 1]
    waiting = list(
        Application.objects.filter(pk__in=plan["decisions"]["county"], state="under_review").values_list(
            "pk", flat=True
        )
    )[: args.repeat + 1]
    applicant = Client()
    applicant.force_login(User.objects.get(username=drafts[0]["username"]))
    reviewer = Client()
    reviewer.force_login(User.objects.get(username=plan["reviewers"]["county"][0]))
    bare = Client()

    def profile(label, calls):
        if args.only not in label:
            return
        times, counts, db, repeated = [], [], [], Counter()
        for i, call in enumerate(calls):
            with CaptureQueriesContext(connection) as ctx:
                started = time.perf_counter()
                response = call()
                elapsed = time.perf_counter() - started
            if response.status_code >= 400:
                raise RuntimeError(f"{label}: {response.status_code}")
            if i == 0:
                continue  # warm-up: the first request of a kind loads templates and modules
            times.append(elapsed * 1000)
            counts.append(len(ctx.captured_queries))
            db.append(sum(float(q["time"]) for q in ctx.captured_queries) * 1000)
            repeated.update(re.sub(r"\b\d+\b", "N", q["sql"])[:160] for q in ctx.captured_queries)
        if args.cprofile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            profiler.runcall(calls[-1])
            pstats.Stats(profiler).sort_stats(os.environ.get("PROFILE_SORT", "cumulative")).print_stats(
                int(os.environ.get("PROFILE_LINES", "30"))
            )
        if args.slowest:
            for q in sorted(ctx.captured_queries, key=lambda q: -float(q["time"]))[: args.slowest]:
                print(f"    {float(q['time']) * 1000:6.1f} ms  {q['sql']}")
        top = [(n // len(times), sql) for sql, n in repeated.most_common(3) if n // len(times) > 2]
        print(
            f"{label:<40} {statistics.median(times):7.1f} ms  {max(counts):4d} queries  "
            f"{statistics.median(db):6.1f} ms in the database"
        )
        for n, sql in top:
            print(f"{'':<42}{n:3d}× {sql}")

    n = args.repeat + 1
    profile("/healthz", [lambda: bare.get("/healthz")] * n)
    profile("dashboard (applicant)", [lambda: applicant.get("/dashboard/")] * n)
    profile("application detail (applicant)", [lambda: applicant.get(f"/applications/{drafts[0]['application']}/")] * n)
    material = re.findall(r"/materials/(\d+)/upload/", applicant.get(f"/applications/{drafts[0]['application']}/").text)
    profile(
        "upload material",
        [
            lambda: applicant.post(
                f"/applications/{drafts[0]['application']}/materials/{material[0]}/upload/",
                {"file": _file(unique_pdf(base, uuid.uuid4().hex))},
            )
        ]
        * n,
    )
    profile(
        "eligibility check (API)",
        [lambda: applicant.get(f"/api/v1/applications/{drafts[0]['application']}/eligibility/")] * n,
    )
    profile("dashboard (county)", [lambda: reviewer.get("/dashboard/")] * n)
    profile("inbox", [lambda: reviewer.get("/reviews/inbox/")] * n)
    profile("inbox filtered", [lambda: reviewer.get("/reviews/inbox/?category=factory&sort=-submitted")] * n)
    profile("inbox search", [lambda: reviewer.get("/reviews/inbox/?q=load-dec&sort=name")] * n)
    profile("inbox page 3", [lambda: reviewer.get("/reviews/inbox/?page=3")] * n)
    profile("application detail (reviewer)", [lambda pk=pk: reviewer.get(f"/applications/{pk}/") for pk in waiting])
    profile(
        "decision (return)",
        [
            lambda pk=pk: reviewer.post(
                f"/applications/{pk}/transition/",
                {"action": "return", "reason": "请补充材料。", "expected_version": _version(pk)},
            )
            for pk in waiting
        ],
    )
    return 0


def _file(content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(f"材料-{uuid.uuid4().hex[:8]}.pdf", content, content_type="application/pdf")


def _version(pk: int) -> int:
    from applications.models import Application

    return Application.objects.get(pk=pk).version


if __name__ == "__main__":
    sys.exit(main())
