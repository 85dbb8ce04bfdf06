"""Merged application PDFs by real Celery workers: throughput and peak memory per worker.

    .venv/bin/python benchmarks/documents_merged_pdf.py [--applications 200] [--workers 2]
        [--mix pdf,jpg,png,docx,xlsx] [--pdf-pages 8] [--keep]

PostgreSQL: the database greenmfg_bench_pdf on BENCH_PG (default postgres://postgres@127.0.0.1:5432), dropped,
created and migrated by the script, dropped again at the end unless --keep. Redis: BENCH_REDIS (default
redis://127.0.0.1:6379/13), queue greenmfg-bench-pdf (purged first). Files go to a temporary MEDIA_ROOT shared with
the workers and removed at the end. Nothing else is touched.

Seeds a ministry → province → city → county chain and --applications factory applications of as many enterprises,
each with one current file per material of --mix (an --pdf-pages page PDF report, a 2400×1800 JPG photo, a PNG scan,
a docx and an xlsx, converted by LibreOffice), uploaded through applications.services. Then starts --workers worker
processes (`celery -A greenmfg worker -P prefork -c 1 -Q greenmfg-bench-pdf`), requests every merged PDF through
documents.services.document_request (each queues one render task) and waits until all are done.

Reported: the time to request (build + hash + enqueue), the wall time from the first request to the last finished
document, throughput (documents/s), the mean render time per document from GeneratedDocument started/finished, the
output size, and per worker the peak RSS (VmHWM) of its task process, plus the largest RSS seen of a LibreOffice
process (sampled every 0.2 s; soffice runs outside the worker). Not a timed test: the figures go into
benchmarks/README.md with the machine noted.
"""

import argparse
import io
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
PG_NAME = "greenmfg_bench_pdf"
REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/13")
QUEUE = "greenmfg-bench-pdf"
MATERIALS = {
    "pdf": "自评价报告",
    "jpg": "厂区照片",
    "png": "证书扫描件",
    "docx": "企业基本情况",
    "xlsx": "能源消耗统计表",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applications", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--mix", default="pdf,jpg,png,docx,xlsx", help="material types per application")
    parser.add_argument("--pdf-pages", type=int, default=8)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database afterwards")
    args = parser.parse_args()
    mix = [t.strip() for t in args.mix.split(",") if t.strip()]
    if not mix or any(t not in MATERIALS for t in mix):
        parser.error(f"--mix takes some of {','.join(MATERIALS)}")

    media = Path(tempfile.mkdtemp(prefix="gm-bench-media-"))
    os.environ.update(environment(media))
    fresh_database()
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    workers, result = [], None
    try:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        applications, actor = seed(args.applications, mix, args.pdf_pages)
        seeded = time.perf_counter() - started
        print(f"seeded {len(applications)} applications × {len(mix)} materials in {seeded:.1f} s", flush=True)
        purge_queue()
        workers = [start_worker(i, media) for i in range(1, args.workers + 1)]
        wait_ready(workers)
        result = measure(applications, actor, workers)
    finally:
        for proc, log in workers:
            stop(proc)
            log.close()
            if result_ok(result):  # a failed run keeps the worker logs for reading
                Path(log.name).unlink(missing_ok=True)
        from django.db import connections

        connections.close_all()
        if not args.keep:
            drop_database()
        shutil.rmtree(media, ignore_errors=True)
    report(result, args, mix, seeded)
    if not result_ok(result):
        print(f"worker logs: {media.parent}/{media.name}-worker*.log")
        return 1
    return 0


def result_ok(result) -> bool:
    return bool(result) and result["failed"] == 0


# ------------------------------------------------------------------------------------------------ environment


def environment(media: Path) -> dict:
    return {
        "DJANGO_SETTINGS_MODULE": "greenmfg.settings",
        "DATABASE_URL": f"{PG_SERVER}/{PG_NAME}",
        "CELERY_BROKER_URL": REDIS,
        "CELERY_TASK_DEFAULT_QUEUE": QUEUE,
        "CONN_MAX_AGE": "0",
        "MEDIA_ROOT": str(media),
        "SECRET_KEY": "benchmark",
        "DEBUG": "",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }


def fresh_database() -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {PG_NAME}")


def drop_database() -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_NAME} WITH (FORCE)")


def purge_queue() -> None:
    """Left-over messages of an interrupted run would be rendered first (the default queue is QUEUE here)."""
    from greenmfg.celery import app

    app.control.purge()


# ------------------------------------------------------------------------------------------------ files


def material_files(pages: int) -> dict[str, tuple[str, bytes]]:
    """Realistic small materials, made once and uploaded for every application (each upload is its own file)."""
    from PIL import Image, ImageDraw
    from weasyprint import HTML

    text = "企业贯彻绿色发展理念，建立能源管理体系，开展节能诊断与清洁生产审核，单位产品综合能耗持续下降。" * 6
    body = "".join(
        f'<h2>第{i}章 评价内容</h2><p>{text}</p><p>{text}</p><p style="page-break-after: always">{text}</p>'
        for i in range(1, pages + 1)
    )
    report = HTML(
        string=f'<html lang="zh-CN"><body style="font-family: Noto Serif CJK SC; font-size: 12pt">{body}</body></html>'
    ).write_pdf()
    reader_pages = _pages(report)

    photo = Image.radial_gradient("L").resize((2400, 1800))
    noise = Image.effect_noise((2400, 1800), 40)
    rgb = Image.merge("RGB", (photo, Image.blend(photo, noise, 0.5), noise))
    jpg = io.BytesIO()
    rgb.save(jpg, "JPEG", quality=85)

    scan = Image.new("L", (1240, 1754), 255)
    draw = ImageDraw.Draw(scan)
    for y in range(150, 1600, 38):
        draw.rectangle((120, y, 1120 - (y * 7) % 300, y + 14), fill=40)
    png = io.BytesIO()
    scan.save(png, "PNG", optimize=True)

    import docx

    document = docx.Document()
    document.add_heading("企业基本情况", level=1)
    for _ in range(6):
        document.add_paragraph(text)
    table = document.add_table(rows=6, cols=3)
    for r, row in enumerate(table.rows):
        for c, cell in enumerate(row.cells):
            cell.text = f"指标{r}-{c}"
    word = io.BytesIO()
    document.save(word)

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["年度", "月份", "综合能耗（吨标准煤）", "工业增加值（万元）", "单位增加值能耗"])
    for month in range(1, 49):
        sheet.append([2021 + (month - 1) // 12, (month - 1) % 12 + 1, 1000 + month, 5000 + month * 3, None])
    excel = io.BytesIO()
    book.save(excel)
    print(
        f"report PDF {reader_pages} pages {len(report) // 1024} KiB, JPG {len(jpg.getvalue()) // 1024} KiB", flush=True
    )
    return {
        "pdf": ("自评价报告.pdf", report),
        "jpg": ("厂区照片.jpg", jpg.getvalue()),
        "png": ("证书扫描件.png", png.getvalue()),
        "docx": ("企业基本情况.docx", word.getvalue()),
        "xlsx": ("能源消耗统计表.xlsx", excel.getvalue()),
    }


def _pages(content: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(content)).pages)


# ------------------------------------------------------------------------------------------------ data


def seed(count: int, mix: list[str], pages: int):
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile

    from applications import services
    from notices.models import RequiredMaterial
    from organizations.credit_code import make_credit_code
    from organizations.services import membership_add, organization_create
    from tests.application_helpers import FACTORY_DATA, open_chain

    User = get_user_model()
    root = User.objects.create_superuser("bench-root", "root@example.test", None)

    def authority(name, region, level, parent=None):
        return organization_create(
            actor=None,
            check_permission=False,
            kind="authority",
            name=name,
            region_id=region,
            level=level,
            parent=parent,
        )

    tree = SimpleNamespace(ministry=authority("工业和信息化部（基准）", "110000", "ministry"))
    tree.province = authority("山西省工业和信息化厅（基准）", "140000", "province", tree.ministry)
    tree.city = authority("太原市工业和信息化局（基准）", "140100", "city", tree.province)
    tree.county = authority("小店区工业和信息化和科技局（基准）", "140105", "county", tree.city)
    notice = open_chain(tree, root, applicant_days=30, materials=[("factory", MATERIALS[t]) for t in mix])
    for kind in mix:
        RequiredMaterial.objects.filter(name=MATERIALS[kind]).update(accepted_types=kind, max_size_mb=20)
    slots = {m.name: m for m in notice.categories.get(category="factory").materials.all()}
    files = material_files(pages)
    applications = []
    for i in range(count):
        org = organization_create(
            actor=None,
            check_permission=False,
            kind="enterprise",
            name=f"山西基准测试绿色制造有限公司{i:04d}",
            region_id="140105",
            credit_code=make_credit_code(f"91140105MA{i:06d}Y"),
            competent_authority=tree.county,
        )
        user = User.objects.create_user(f"bench-{i:04d}", None, None)  # no password: hashing 200 would dominate
        membership_add(actor=None, user=user, organization=org, role="admin")
        application = services.application_create(
            actor=user, applicant=org, notice=notice, category="factory", data=FACTORY_DATA
        )
        for kind in mix:
            name, content = files[kind]
            services.material_upload(
                actor=user,
                application=application,
                kind=str(slots[MATERIALS[kind]].pk),
                upload=SimpleUploadedFile(name, content),
            )
        applications.append(application)
    return applications, root


# ------------------------------------------------------------------------------------------------ workers


def start_worker(n: int, media: Path):
    log = open(media.parent / f"{media.name}-worker{n}.log", "w")  # noqa: SIM115
    cmd = [sys.executable, "-m", "celery", "-A", "greenmfg", "worker", "-P", "prefork", "-c", "1", "-Q", QUEUE]
    cmd += ["-n", f"bench{n}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "WARNING"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ}, stdout=log, stderr=subprocess.STDOUT)
    return proc, log


def wait_ready(workers) -> None:
    from greenmfg.celery import app

    names = [f"bench{n}@{os.uname().nodename}" for n in range(1, len(workers) + 1)]
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        for proc, log in workers:
            if proc.poll() is not None:
                raise RuntimeError(f"a worker exited: {Path(log.name).read_text()[-2000:]}")
        replies = app.control.ping(destination=names, timeout=1.0)
        if len(replies) == len(names):
            return
    raise RuntimeError("the workers did not answer within 90 s")


def stop(proc) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def status(pid: int, field: str) -> int:
    """A /proc/<pid>/status field in KiB (VmHWM, VmRSS), 0 when the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def name_of(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


class Sampler(threading.Thread):
    """Peak RSS of processes below the workers that are not the task process itself (LibreOffice)."""

    def __init__(self, worker_pids, task_pids):
        super().__init__(daemon=True)
        self.worker_pids, self.task_pids = worker_pids, set(task_pids)
        self.office_peak_kib, self.stop_event = 0, threading.Event()

    def run(self):
        while not self.stop_event.wait(0.2):
            stack = list(self.worker_pids)
            while stack:
                pid = stack.pop()
                below = children(pid)
                stack += below
                if pid not in self.task_pids and pid not in self.worker_pids and "soffice" in name_of(pid):
                    self.office_peak_kib = max(self.office_peak_kib, status(pid, "VmRSS"))


# ------------------------------------------------------------------------------------------------ measuring


def measure(applications, actor, workers) -> dict:
    from documents.models import GeneratedDocument
    from documents.services import document_request

    worker_pids = [proc.pid for proc, _log in workers]
    task_pids = {pid: children(pid) for pid in worker_pids}
    sampler = Sampler(worker_pids, [c for cs in task_pids.values() for c in cs])
    sampler.start()
    started = time.perf_counter()
    ids = [document_request(actor=actor, kind="application_pdf", owner=a).pk for a in applications]
    requested = time.perf_counter() - started
    pending = GeneratedDocument.objects.filter(pk__in=ids, status__in=["queued", "running"])
    last_print = 0.0
    while pending.exists():
        time.sleep(0.25)
        now = time.perf_counter() - started
        if now - last_print > 15:
            last_print = now
            print(f"  {now:6.0f} s: {len(ids) - pending.count()} of {len(ids)} finished", flush=True)
        if now > 3600:
            raise RuntimeError("not finished within an hour")
    wall = time.perf_counter() - started
    sampler.stop_event.set()
    sampler.join()
    docs = list(GeneratedDocument.objects.filter(pk__in=ids))
    done = [d for d in docs if d.status == "done"]
    failed = [d for d in docs if d.status == "failed"]
    renders = sorted((d.finished_at - d.started_at).total_seconds() for d in done if d.started_at and d.finished_at)
    peaks = {}
    for pid, kids in task_pids.items():
        kids = kids or children(pid)
        peaks[pid] = {
            "main_kib": status(pid, "VmHWM"),
            "task_kib": max((status(k, "VmHWM") for k in kids), default=0),
        }
    return {
        "requested_s": requested,
        "wall_s": wall,
        "done": len(done),
        "failed": len(failed),
        "errors": sorted({d.error[:200] for d in failed})[:5],
        "render_mean_s": sum(renders) / len(renders) if renders else 0,
        "render_p50_s": renders[len(renders) // 2] if renders else 0,
        "render_max_s": renders[-1] if renders else 0,
        "size_mean_kib": sum(d.size for d in done) / len(done) / 1024 if done else 0,
        "peaks": peaks,
        "office_peak_kib": sampler.office_peak_kib,
    }


def report(r: dict, args, mix, seeded: float) -> None:
    mem = next((line.split()[1] for line in open("/proc/meminfo") if line.startswith("MemTotal")), "0")
    load = os.getloadavg()
    print(
        f"machine: {os.cpu_count()} CPUs, {int(mem) // 1024 // 1024} GiB, Python {platform.python_version()}, "
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    print(
        f"{args.applications} applications, materials {'+'.join(mix)} (report {args.pdf_pages} pages), "
        f"{args.workers} workers × prefork -c 1; seeding {seeded:.1f} s"
    )
    print(
        f"requested in {r['requested_s']:.1f} s; all finished after {r['wall_s']:.1f} s: "
        f"{r['done'] / r['wall_s']:.2f} documents/s ({r['done']} done, {r['failed']} failed)"
    )
    print(
        f"render per document: mean {r['render_mean_s']:.2f} s, median {r['render_p50_s']:.2f} s, "
        f"max {r['render_max_s']:.2f} s; mean size {r['size_mean_kib']:.0f} KiB"
    )
    for n, (pid, peak) in enumerate(r["peaks"].items(), start=1):
        print(
            f"worker {n} (pid {pid}): task process peak RSS {peak['task_kib'] / 1024:.0f} MiB, "
            f"main process {peak['main_kib'] / 1024:.0f} MiB"
        )
    if r["office_peak_kib"]:
        print(f"LibreOffice (soffice) largest RSS seen: {r['office_peak_kib'] / 1024:.0f} MiB")
    for error in r["errors"]:
        print(f"failed: {error}")


if __name__ == "__main__":
    sys.exit(main())
