"""The deadline-day mix, as browsers would make it: pages, forms with CSRF, multipart uploads, htmx-free polling.

    locust -f benchmarks/load/locustfile.py --headless -u 50 -r 10 -t 90s --host http://127.0.0.1:8400

run.py starts it with LOAD_PLAN (the JSON load_seed.py made: accounts, applications to work on, the base PDF),
LOAD_RECORD (a JSON-lines file: every upload, submission, decision and document the portal accepted, checked against
the database afterwards) and LOAD_SUMMARY (response-time percentiles of all application requests taken together, and
of the bare view, which locust's CSV cannot combine). One process: the queues below are plain lists, so no two
simulated users ever work on the same application (a conflict would be the test's fault, not the portal's).

Users:
- Applicant (6): logs in as the next seeded enterprise, opens its draft, uploads each material as a unique small
  PDF (sometimes a second version), runs the eligibility check, submits, sometimes asks for the merged PDF and polls
  it until the worker has rendered it, logs out; then the next enterprise.
- Reviewer (3): a county, city or province approver; browses the inbox (tabs, filters, search, sort, paging), opens
  applications, decides the next one of its authority's queue (recommend / return / not recommend, whichever the
  page offers), sometimes renders an application's merged PDF.
- Bare (1): GET /healthz, a JsonResponse behind the same middleware, for the ratio.
"""

import hashlib
import json
import os
import random
import re
import time
import uuid
from collections import defaultdict

import gevent
from locust import HttpUser, between, events, task
from pdf_slot import unique_pdf as _unique_pdf

PLAN = json.loads(open(os.environ["LOAD_PLAN"], encoding="utf-8").read())  # noqa: SIM115
RECORD = open(os.environ["LOAD_RECORD"], "a", encoding="utf-8")  # noqa: SIM115
with open(PLAN["base_pdf"], "rb") as _f:
    BASE_PDF = _f.read()
APPLICANTS = list(PLAN["applicants"])
DECISIONS = {level: list(ids) for level, ids in PLAN["decisions"].items()}
DECIDED = defaultdict(list)  # level -> applications decided in this run (reviewers render their PDFs)
# Multiplies every think time: 1 is a hurried user (0.5–3 s between actions); 3–5 is closer to someone reading
# a page and filling a form.
THINK = float(os.environ.get("LOAD_THINK_SCALE", "1"))
LEVEL_WEIGHTS = [("county", 5), ("city", 3), ("province", 2)]
LEVEL_ROTATION = [level for level, weight in LEVEL_WEIGHTS for _ in range(weight)]
counters = defaultdict(int)

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
UPLOAD = re.compile(r'action="/applications/(\d+)/materials/(\d+)/upload/"')
VERSION = re.compile(r'name="expected_version" value="(\d+)"')
ACTION_FORM = re.compile(
    r'<form method="post" action="[^"]*/transition/" class="action-form( blocked)?"[^>]*>.*?</form>', re.S
)
ACTION = re.compile(r'name="action" value="([a-z_]+)"')
MESSAGE = re.compile(r'<li class="msg ([a-z ]+)">(.*?)</li>', re.S)
ROW_LINK = re.compile(r'href="/applications/(\d+)/"')
REASONS = {
    "recommend": "材料齐全，经审核符合绿色工厂申报条件，同意推荐。",
    "return": "请补充近三年能源消耗统计数据，并更新自评价报告第三章。",
    "not_recommend": "经征求意见，该企业不符合本年度申报条件。",
}
DECISION_WEIGHTS = {"recommend": 5, "return": 3, "not_recommend": 2}
SUCCESS = {"submit": "已提交", "recommend": "已推荐", "return": "已退回修改", "not_recommend": "已不予推荐"}


def record(record_type: str, **fields) -> None:
    RECORD.write(json.dumps({"type": record_type, "at": time.time(), **fields}, ensure_ascii=False) + "\n")
    RECORD.flush()


def unique_pdf(marker: str) -> bytes:
    return _unique_pdf(BASE_PDF, marker)


def csrf(html: str) -> str:
    found = CSRF.search(html)
    return found.group(1) if found else ""


def messages(html: str) -> list[tuple[str, str]]:
    return [(tags, re.sub(r"<[^>]+>", "", text).strip()) for tags, text in MESSAGE.findall(html)]


def offered_actions(html: str) -> list[str]:
    """The workflow actions the page offers and does not block (a browser user cannot press a disabled button)."""
    return [ACTION.search(m.group(0)).group(1) for m in ACTION_FORM.finditer(html) if not m.group(1)]


# ---------------------------------------------------------------------------------------------- timings

TIMES: dict[str, list[float]] = defaultdict(list)
BARE = "/healthz (bare view)"


@events.request.add_listener
def _collect(request_type, name, response_time, exception, **_kw):
    group = "bare" if name == BARE else "app"
    TIMES[group].append(response_time)
    if name not in ("login", "login page") and group == "app":
        TIMES["app without login"].append(response_time)


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


@events.quitting.add_listener
def _summary(environment, **_kw):
    path = os.environ.get("LOAD_SUMMARY")
    if not path:
        return
    summary = {
        group: {
            "count": len(values),
            "p50": _percentile(values, 50),
            "p95": _percentile(values, 95),
            "p99": _percentile(values, 99),
            "mean": sum(values) / len(values) if values else 0.0,
        }
        for group, values in TIMES.items()
    }
    summary["counters"] = dict(counters)
    with open(path, "w", encoding="utf-8") as out:
        json.dump(summary, out, ensure_ascii=False, indent=1)


STOPPING = False


@events.test_stopping.add_listener
def _stopping(**_kw):
    global STOPPING
    STOPPING = True


# ---------------------------------------------------------------------------------------------- users


class Browser(HttpUser):
    abstract = True

    def stopping(self) -> bool:
        """The run is ending: start no new write (what is in flight may still finish within --stop-timeout)."""
        return STOPPING

    def think(self, low=0.5, high=2.0):
        gevent.sleep(random.uniform(low * THINK, high * THINK))

    def login(self, username: str) -> bool:
        self.client.cookies.clear()
        page = self.client.get("/accounts/login/", name="login page")
        with self.client.post(
            "/accounts/login/",
            data={"username": username, "password": PLAN["password"], "csrfmiddlewaretoken": csrf(page.text)},
            allow_redirects=False,
            name="login",
            catch_response=True,
        ) as resp:
            if resp.status_code != 302:
                resp.failure(f"login of {username} answered {resp.status_code} {resp.error or ''}")
                return False
        self.client.get("/dashboard/", name="dashboard")
        return True

    def logout(self, html: str) -> None:
        self.client.post("/accounts/logout/", data={"csrfmiddlewaretoken": csrf(html)}, name="logout")

    def detail(self, application: int, name: str, expect: str = "", action: str = ""):
        """The application page; with `expect`, the flash message of the action just done must say so."""
        with self.client.get(f"/applications/{application}/", name=name, catch_response=True) as resp:
            if resp.status_code != 200:
                resp.failure(f"application {application}: {resp.status_code} {resp.error or ''}")
                return None
            if expect:
                found = messages(resp.text)
                if not any("success" in tags and text.startswith(expect) for tags, text in found):
                    resp.failure(f"{action} of {application} not done: {found}")
                    return None
            return resp.text

    def merged_pdf(self, application: int, who: str) -> None:
        """Ask for the application's merged PDF through the documents API, poll until rendered, download it."""
        headers = {"X-CSRFToken": self.client.cookies.get("csrftoken", "")}
        with self.client.post(
            "/api/v1/documents/",
            json={"kind": "application_pdf", "owner_id": application},
            headers=headers,
            name="document request",
            catch_response=True,
        ) as resp:
            if resp.status_code not in (200, 202):
                resp.failure(f"document request {resp.status_code}: {resp.error or resp.text[:200]}")
                return
            doc = resp.json()
        deadline = time.monotonic() + 120
        while doc["status"] in ("queued", "running") and time.monotonic() < deadline:
            gevent.sleep(1.0)
            with self.client.get(f"/api/v1/documents/{doc['id']}/", name="document poll", catch_response=True) as r:
                if r.status_code != 200:
                    r.failure(f"document poll {r.status_code}")
                    return
                doc = r.json()
        if doc["status"] != "done":
            events.request.fire(
                request_type="RENDER",
                name="document rendered",
                response_time=0,
                response_length=0,
                exception=RuntimeError(f"document {doc['id']} {doc['status']}: {doc.get('error')}"),
                context={},
            )
            return
        with self.client.get(doc["download_url"], name="document download", catch_response=True) as r:
            if r.status_code != 200 or not r.content.startswith(b"%PDF-"):
                r.failure(f"document download {r.status_code}")
                return
            digest = hashlib.sha256(r.content).hexdigest()
        record("document", document=doc["id"], application=application, sha256=digest, by=who)


class Applicant(Browser):
    weight = 6
    wait_time = between(1 * THINK, 3 * THINK)

    @task
    def deadline_day(self):
        if not APPLICANTS:
            counters["applicants exhausted"] += 1
            gevent.sleep(5)
            return
        seeded = APPLICANTS.pop(0)
        username, application = seeded["username"], seeded["application"]
        if not self.login(username):
            return
        self.think()
        html = self.detail(application, "application detail")
        if html is None:
            return
        kinds = [kind for pk, kind in UPLOAD.findall(html) if int(pk) == application]
        if random.random() < 0.15:  # a second version of one material: the user found a better scan
            kinds.append(kinds[0])
        for kind in kinds:
            self.think(0.5, 1.5)
            if self.stopping():
                return
            marker = uuid.uuid4().hex
            content = unique_pdf(marker)
            filename = f"材料{kind}-{marker[:8]}.pdf"
            sha256 = hashlib.sha256(content).hexdigest()
            # Sent before the answer: a request cut off when the run stops is told apart from a lost one.
            record("upload sent", application=application, kind=kind, sha256=sha256, name=filename, by=username)
            with self.client.post(
                f"/applications/{application}/materials/{kind}/upload/",
                data={"csrfmiddlewaretoken": csrf(html)},
                files={"file": (filename, content, "application/pdf")},
                allow_redirects=False,
                name="upload material",
                catch_response=True,
            ) as resp:
                if resp.status_code != 302 or f"/applications/{application}/" not in resp.headers.get("Location", ""):
                    resp.failure(f"upload to {application}/{kind} refused: {resp.status_code} {resp.error or ''}")
                    record("upload refused", application=application, kind=kind, sha256=sha256, status=resp.status_code)
                    continue
            record(
                "upload",
                application=application,
                kind=kind,
                sha256=sha256,
                size=len(content),
                name=filename,
                by=username,
            )
            html = self.detail(application, "application detail") or html
        self.think()
        with self.client.get(
            f"/api/v1/applications/{application}/eligibility/", name="eligibility check", catch_response=True
        ) as resp:
            if resp.status_code != 200 or resp.json().get("blocked"):
                resp.failure(f"eligibility of {application}: {resp.status_code} {resp.text[:200]}")
        self.think()
        if self.stopping():
            return
        version = VERSION.search(html)
        if "submit" not in offered_actions(html) or version is None:
            events.request.fire(
                request_type="POST",
                name="submit",
                response_time=0,
                response_length=0,
                exception=RuntimeError(f"submit not offered on {application}"),
                context={},
            )
            return
        self.client.post(
            f"/applications/{application}/transition/",
            data={"csrfmiddlewaretoken": csrf(html), "action": "submit", "expected_version": version.group(1)},
            allow_redirects=False,
            name="submit",
        )
        html = self.detail(application, "application detail", expect=SUCCESS["submit"], action="submit")
        if html is None:
            return
        record("submit", application=application, version=int(version.group(1)), by=username)
        if random.random() < 0.3:
            self.think()
            self.merged_pdf(application, username)
        self.logout(html)


class Reviewer(Browser):
    weight = 3
    wait_time = between(1 * THINK, 3 * THINK)

    def on_start(self):
        n = counters["reviewers"]
        counters["reviewers"] += 1
        self.level = LEVEL_ROTATION[n % len(LEVEL_ROTATION)]
        names = PLAN["reviewers"][self.level]
        self.username = names[n % len(names)]
        self.login(self.username)
        self.html = ""

    @task(4)
    def browse_inbox(self):
        page = self.client.get("/reviews/inbox/", name="inbox")
        self.html = page.text
        choice = random.random()
        if choice < 0.35:
            self.client.get("/reviews/inbox/?category=factory&sort=-submitted", name="inbox filtered")
        elif choice < 0.55:
            self.client.get("/reviews/inbox/?q=load-dec&sort=name", name="inbox search")
        elif choice < 0.75:
            self.client.get("/reviews/inbox/?tab=done&eligibility=pass", name="inbox filtered")
        pages = self.client.get(f"/reviews/inbox/?page={random.randint(2, 5)}", name="inbox page")
        rows = ROW_LINK.findall(pages.text)
        if rows:
            self.think()
            self.detail(int(random.choice(rows)), "application detail (reviewer)")

    @task(3)
    def decide(self):
        queue = DECISIONS.get(self.level) or []
        if not queue:
            counters[f"{self.level} queue exhausted"] += 1
            self.browse_inbox()
            return
        application = queue.pop(0)
        html = self.detail(application, "application detail (reviewer)")
        if html is None:
            return
        offered = [a for a in offered_actions(html) if a in DECISION_WEIGHTS]
        version = VERSION.search(html)
        if not offered or version is None:
            events.request.fire(
                request_type="POST",
                name="decision",
                response_time=0,
                response_length=0,
                exception=RuntimeError(f"no decision offered on {application}"),
                context={},
            )
            return
        action = random.choices(offered, weights=[DECISION_WEIGHTS[a] for a in offered])[0]
        self.think(1, 3)  # reading the materials and writing the opinion
        if self.stopping():
            return
        self.client.post(
            f"/applications/{application}/transition/",
            data={
                "csrfmiddlewaretoken": csrf(html),
                "action": action,
                "expected_version": version.group(1),
                "reason": REASONS[action],
            },
            allow_redirects=False,
            name="decision",
        )
        if self.detail(application, "application detail (reviewer)", expect=SUCCESS[action], action=action):
            record(
                "decision",
                application=application,
                action=action,
                level=self.level,
                version=int(version.group(1)),
                by=self.username,
            )
            DECIDED[self.level].append(application)

    @task(1)
    def render(self):
        pool = DECIDED[self.level] or PLAN["decisions"].get(self.level) or []
        if pool:
            self.merged_pdf(random.choice(pool), self.username)


class Bare(HttpUser):
    weight = 1
    wait_time = between(0.5, 1.5)

    @task
    def healthz(self):
        with self.client.get("/healthz", name=BARE, catch_response=True) as resp:
            if resp.status_code != 200 or resp.json().get("status") != "ok":
                resp.failure(f"healthz {resp.status_code}")
