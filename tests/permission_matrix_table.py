"""The expected permission matrix: which demo role may reach which object-level page, download and API endpoint.

Written from the visibility rules (DESIGN.md "Permissions", DOMAIN.md, each selector's stated rule), not recorded
from what the code does. tests/test_permission_matrix.py discovers every endpoint with a path parameter (URL conf
and OpenAPI schema) and fails when one is missing here or an entry here no longer exists.

Allowed means the object is reached: a page or read answers with its content (2xx, or a redirect that is not to the
login); an action (POST/PATCH, sent with an empty or minimal body in a rolled-back savepoint) answers anything but a
404 (a refusal, 400/403/409/422 or a redirect with a message, says the object was seen). Everyone else logged in gets
the plain 404 (never 403, 500 or the content), except the roles an action's `sees` names: they see the object the
action is about (its page shows it to them), so a 404 or a refusal are both right. Anonymous gets the login redirect
for pages and 401/403 for the API, except where an entry is public.

To add an endpoint: pick (or write) a getter in tests/permission_matrix_objects.py's OBJECTS naming the demo object
that fills its parameters, then list the roles allowed here, with the rule that allows them.
"""

from dataclasses import dataclass

# Every account of README's table of demo logins (the browser test of the main pages uses the same list).
ROLES = (
    "admin",
    "ministry",
    "province",
    "city",
    "city2",
    "zone",
    "county",
    "devzone",
    "eco",
    "safety",
    "market",
    "county-eco",
    "county-safety",
    "county-market",
    "enterprise",
    "enterprise2",
    "park",
    "assessor",
    "assessor2",
    "expert",
    "expert2",
    "pingcheng",
    "yungang",
    "listed",
)
ANONYMOUS = "anonymous"

# Every authority in the demo tree; the ministry and the province see their whole subtree.
AUTHORITIES = frozenset({"ministry", "province", "city", "city2", "zone", "county", "devzone", "pingcheng", "yungang"})
# Members of 太原's jurisdiction: its authorities, departments and applicants (the reach of 太原's notice).
TAIYUAN = frozenset(
    {
        "city",
        "county",
        "devzone",
        "eco",
        "safety",
        "market",
        "county-eco",
        "county-safety",
        "county-market",
        "enterprise",
        "enterprise2",
        "park",
        "listed",
    }
)
REGISTRY = frozenset({"admin", "ministry", "province"})  # the assessor registry's readers in 山西


@dataclass(frozen=True)
class Entry:
    obj: str  # a key of OBJECTS
    allowed: frozenset
    method: str = "GET"  # pages only; API entries carry the method in their key
    public: bool = False  # anonymous allowed too
    # Actions only: roles that see the object but may not act; a 404 or a refusal are both right for them.
    sees: frozenset = frozenset()
    anonymous: str = "login"  # what anonymous gets when not public: the login redirect (pages), or 404

    def acceptable(self, role: str, *, api: bool) -> set[str]:
        if role == ANONYMOUS:
            return {"ok"} if self.public else ({"login-or-403"} if api else {self.anonymous})
        if role in self.allowed:
            return {"ok"}
        return {"404", "ok"} if role in self.sees else {"404"}


def page(obj: str, *allowed: str, method: str = "GET", public=False, sees=(), anonymous="login") -> Entry:
    return Entry(obj, frozenset(allowed), method, public, frozenset(sees) - frozenset(allowed), anonymous)


def api(obj: str, *allowed: str, public: bool = False, sees=()) -> Entry:
    return Entry(obj, frozenset(allowed), "", public, frozenset(sees) - frozenset(allowed))


# ------------------------------------------------------------------------------------------------ the sets

# An organization: itself, and the authorities above it (their jurisdiction); the ministry sees all.
COUNTY_ORG = ("admin", "ministry", "province", "city", "county")
# The authorities whose subtree holds 小店区 manage its record and members (its own admin manages its members).
COUNTY_MANAGERS = ("admin", "ministry", "province", "city")
# A published notice reaches its issuer's jurisdiction; the authorities above see what their subordinates publish.
# Assessors (filed with the province) and the province's experts are not under 太原.
TAIYUAN_NOTICE = ("admin", "ministry", "province", *TAIYUAN)
TAIYUAN_ISSUER = ("admin", "city")
# 汾河新材料's factory application: the applicant, its commissioned assessor, each authority it reached (小店区, 太原)
# and the departments 太原 consulted on it.
FENHE_APP = ("admin", "enterprise2", "assessor", "county", "city", "eco", "safety", "market")
# 晋阳精密: the applicant, 小店区 holding it, 小店区's three departments consulted on it.
JINYANG_APP = ("admin", "enterprise", "county", "county-eco", "county-safety", "county-market")
# 综改区光电: 综改区 and 山西 reached it; both experts are assigned on it. (Its applicant has no role in the table.)
GUANGDIAN_APP = ("admin", "zone", "province", "expert", "expert2")
# Applicant-side pages (edit, declarations, upload, engagement) are for the applicant's members and superusers.
FENHE_DRAFT_OWNER = ("admin", "enterprise2")
# An engagement: the commissioned assessor and the applicant that commissioned it.
ENGAGEMENT = ("admin", "assessor", "enterprise2")
# A consultation: the consulting authority and the departments asked; a reply: its department and the authority.
XIAODIAN_CONSULTATION = ("admin", "county", "county-eco", "county-safety", "county-market")
TAIYUAN_CONSULTATION = ("admin", "city", "eco", "safety", "market")
# A batch: the sending authority; the recipient once it is submitted (a draft stays with its sender).
XIAODIAN_BATCH = ("admin", "county", "city")
TAIYUAN_BATCH = ("admin", "city", "province")
DEVZONE_DRAFT_BATCH = ("admin", "devzone")
# Expert review: the panel is its authority's; an assignment its expert's and the panel authority's.
PANEL = ("admin", "province")
ASSIGNMENT = ("admin", "province", "expert")
# A 公示 is managed by the authority that publishes it; the published one is public.
PUBLICITY_MANAGERS = ("admin", "ministry")
# An entry of the lists: the unit itself and the authorities whose jurisdiction holds it (removed ones too).
TAIGANG_ENTRY = ("admin", "ministry", "province", "city", "county", "listed")
TAIGANG_AUTHORITIES = ("admin", "ministry", "province", "city", "county")
DATONG_REMOVED = ("admin", "ministry", "province", "city2", "pingcheng")
# 山西's open round: every authority in 山西 (the round's subtree and chain) and the units asked to file in it.
OPEN_ROUND = ("admin", *AUTHORITIES, "listed", "enterprise2")
# Assessor registry: the assessor's own filing and reports; the province they were filed with; the ministry.
QINGYUAN_REGISTRY = ("admin", "ministry", "province", "assessor")
# Every role is in 山西: everyone sees 山西's notice.
SHANXI_NOTICE = ROLES
# Statistics are for authorities (each reads its own subtree).
STATS = ("admin", *AUTHORITIES)

PAGES = {
    # organizations
    "organization-detail": page("the 小店区 bureau", *COUNTY_ORG),
    "organization-edit": page("the 小店区 bureau", *COUNTY_MANAGERS),
    "member-add": page("the 小店区 bureau", *COUNTY_MANAGERS, "county"),
    "member-remove": page("county's membership of the 小店区 bureau", *COUNTY_MANAGERS, "county", method="POST"),
    # notices: reading follows the jurisdiction; editing and configuring is the issuer's
    "notice-detail": page("太原's open notice (factory category)", *TAIYUAN_NOTICE),
    "notice-edit": page("太原's open notice (factory category)", *TAIYUAN_ISSUER),
    "notice-publish": page("太原's open notice (factory category)", *TAIYUAN_ISSUER, method="POST"),
    "notice-close": page("太原's open notice (factory category)", *TAIYUAN_ISSUER, method="POST"),
    # Forwarding is done by the authorities the notice was sent to: 山西's cities.
    "notice-forward": page("山西's open notice", "admin", "city", "city2", "zone", method="POST", sees=SHANXI_NOTICE),
    "notice-categories": page("太原's open notice (factory category)", *TAIYUAN_ISSUER),
    "notice-category-set": page("太原's open notice (factory category)", *TAIYUAN_ISSUER, method="POST"),
    "notice-category-remove": page("太原's open notice (factory category)", *TAIYUAN_ISSUER, method="POST"),
    "notice-material-add": page("太原's open notice (factory category)", *TAIYUAN_ISSUER, method="POST"),
    "notice-material-edit": page("a required material of 太原's notice", *TAIYUAN_ISSUER, method="POST"),
    "notice-material-remove": page("a required material of 太原's notice", *TAIYUAN_ISSUER, method="POST"),
    "notice-quotas": page("太原's open notice (factory category)", *TAIYUAN_ISSUER, method="POST"),
    "notice-deadlines": page("太原's open notice (factory category)", *TAIYUAN_ISSUER),
    "notice-deadline-remove": page("a deadline of 太原's notice", *TAIYUAN_ISSUER, method="POST"),
    "notice-extension-add": page("太原's open notice (factory category)", *TAIYUAN_ISSUER),
    "notice-attachment-add": page("太原's open notice (factory category)", *TAIYUAN_ISSUER),
    "notice-attachment-download": page("an attachment of 太原's notice", *TAIYUAN_NOTICE),
    # applications
    "application-detail": page("the 汾河新材料 factory application (at 太原, report by 清源)", *FENHE_APP),
    "application-file": page("a current file of the 汾河新材料 factory application", *FENHE_APP),
    "application-transition": page(
        "the 晋阳精密 factory application (at 小店区, consultation out)", *JINYANG_APP, method="POST"
    ),
    "application-edit": page("the 汾河新材料 supply-chain draft", *FENHE_DRAFT_OWNER),
    "application-declarations": page("the 汾河新材料 supply-chain draft", *FENHE_DRAFT_OWNER),
    "application-upload": page("a material slot of the 汾河新材料 draft", *FENHE_DRAFT_OWNER),
    "application-engagement": page("the 汾河新材料 supply-chain draft", *FENHE_DRAFT_OWNER),
    # the assessor's side of an engagement
    "engagement-detail": page("清源's engagement by 汾河新材料", "admin", "assessor"),
    "engagement-accept": page("清源's engagement by 汾河新材料", "admin", "assessor", method="POST"),
    "engagement-decline": page("清源's engagement by 汾河新材料", "admin", "assessor", method="POST"),
    "engagement-report": page("清源's engagement by 汾河新材料", "admin", "assessor", method="POST"),
    # consultations
    "consultation-detail": page("太原's consultation", *TAIYUAN_CONSULTATION),
    # Replying is the department's page; the consulting authority waives, and the department sees that form's refusal.
    "consultation-reply": page("太原 market regulation's pending reply", "market", method="POST"),
    "consultation-waive": page("太原 market regulation's pending reply", "admin", "city", "market", method="POST"),
    "consultation-proof": page("小店区 ecology's reply with a proof", "admin", "county", "county-eco"),
    # batches
    "batch-detail": page("小店区's batch (received by 太原)", *XIAODIAN_BATCH),
    "batch-action": page("经开区's draft batch", *DEVZONE_DRAFT_BATCH, method="POST"),
    "batch-scan": page("太原's batch (received by 山西)", *TAIYUAN_BATCH),
    # expert review
    "panel-detail": page("山西's factory panel", *PANEL),
    "panel-edit": page("山西's factory panel", *PANEL),
    "panel-criteria": page("山西's factory panel", *PANEL, method="POST"),
    "panel-assign": page("山西's factory panel, with an expert and an application to assign", *PANEL, method="POST"),
    "panel-auto-assign": page("山西's factory panel", *PANEL, method="POST"),
    "panel-ranking": page("山西's factory panel", *PANEL),
    # The expert's own scoring sheet; the panel's authority reads scores on the panel, the ranking and the API.
    "assignment-detail": page("expert's assignment on 综改区光电", "expert"),
    "assignment-remove": page("expert's assignment on 综改区光电", *PANEL, method="POST"),
    # 公示
    "publicity-detail": page("the ministry's running 公示", *PUBLICITY_MANAGERS),
    "publicity-edit": page("the ministry's running 公示", *PUBLICITY_MANAGERS, method="POST"),
    "publicity-publish": page("the ministry's running 公示", *PUBLICITY_MANAGERS, method="POST"),
    "publicity-finalize": page("the ministry's running 公示", *PUBLICITY_MANAGERS, method="POST"),
    "publicity-objection-handle": page("the open objection to the running 公示", *PUBLICITY_MANAGERS, method="POST"),
    "publicity-public-detail": page("the ministry's running 公示", *ROLES, public=True),
    # eligibility: the issuer edits its notice's rule set; credit records are imported by provinces and the ministry
    # The rules page reads like the notice it belongs to (an applicant sees the conditions it is judged by).
    "eligibility-rules": page("太原's open notice (factory category)", *TAIYUAN_NOTICE),
    "eligibility-rules-preset": page(
        "太原's open notice (factory category)", *TAIYUAN_ISSUER, method="POST", sees=TAIYUAN_NOTICE
    ),
    "eligibility-rules-evaluate": page(
        "太原's open notice (factory category)", *TAIYUAN_ISSUER, method="POST", sees=TAIYUAN_NOTICE
    ),
    "credit-import-detail": page("a credit-record import by 山西", *REGISTRY),
    # documents follow their owner's visibility
    "document-detail": page("小店区's batch summary document", *XIAODIAN_BATCH),
    # Open without login (the public 公示 page links its rendered lists): anonymous gets a 404 for anything else.
    "document-row": page("小店区's batch summary document", *XIAODIAN_BATCH, anonymous="404"),
    "document-download": page("小店区's batch summary document", *XIAODIAN_BATCH, anonymous="404"),
    # Notice-wide documents in the name of one's own authority (a superuser names the scope with ?scope=).
    "notice-documents": page(
        "太原's open notice (factory category)", "ministry", "province", "city", "county", "devzone"
    ),
    # A letterhead is edited in the name of one's own authority; a superuser is no authority's member.
    "letter-template-edit": page("小店区's letter template", "county"),
    # lists and dynamic management
    "listing-detail": page("太钢精密带钢's 2022 national entry", *TAIGANG_ENTRY),
    "listing-rename": page(
        "太钢精密带钢's 2022 national entry", *TAIGANG_AUTHORITIES, method="POST", sees=TAIGANG_ENTRY
    ),
    "listing-import-detail": page("山西's import of its historical lists", *REGISTRY),
    "dynamic-round-detail": page("山西's open 2025 dynamic round", *OPEN_ROUND),
    # A unit's export holds its own rows only (round_rows); the round's authority and those above see every unit.
    "dynamic-round-export": page("山西's open 2025 dynamic round", *OPEN_ROUND),
    "dynamic-round-extend": page("山西's open 2025 dynamic round", "admin", "province", method="POST", sees=OPEN_ROUND),
    "dynamic-report-start": page(
        "汾河新材料's entry in the open round", "admin", "enterprise2", method="POST", sees=TAIGANG_AUTHORITIES
    ),
    "dynamic-report-detail": page("太钢精密带钢's 2025 dynamic report", *TAIGANG_ENTRY),
    "dynamic-report-review": page("太钢精密带钢's 2025 dynamic report", *TAIGANG_ENTRY, method="POST"),
    "dynamic-recheck-detail": page("the re-check of 太钢精密带钢", *TAIGANG_ENTRY),
    # Re-checks and removals are decided in the name of an authority of the entry's jurisdiction (not a superuser).
    "dynamic-recheck-new": page("太钢精密带钢's 2021 provincial entry", *TAIGANG_AUTHORITIES[1:]),
    "dynamic-removal-detail": page("the decided removal of 大同煤矿机械", *DATONG_REMOVED),
    "dynamic-removal-new": page("太钢精密带钢's 2021 provincial entry", *TAIGANG_AUTHORITIES[1:]),
    # assessor registry
    "assessor-filing-detail": page("清源's filing with 山西 and its first proof", *QINGYUAN_REGISTRY),
    "assessor-filing-proof-add": page("清源's filing with 山西 and its first proof", *QINGYUAN_REGISTRY, method="POST"),
    "assessor-filing-proof": page("清源's filing with 山西 and its first proof", *QINGYUAN_REGISTRY),
    "assessor-filing-decide": page("清源's filing with 山西 and its first proof", *QINGYUAN_REGISTRY, method="POST"),
    "assessor-filing-revoke": page("清源's filing with 山西 and its first proof", *QINGYUAN_REGISTRY, method="POST"),
    # An assessor filed with 山西 reports to its call (in its own name: a superuser has none).
    "assessor-report-new": page("山西's open report call (2025)", "assessor"),
    "assessor-report-detail": page("清源's 2023 annual report", *QINGYUAN_REGISTRY),
    "assessor-report-download": page("清源's 2023 annual report", *QINGYUAN_REGISTRY),
    "assessor-report-review": page("清源's 2023 annual report", *QINGYUAN_REGISTRY, method="POST"),
    "assessor-registry-detail": page("清源 (the assessor)", *QINGYUAN_REGISTRY),
    "assessor-blacklist-add": page("清源 (the assessor)", *REGISTRY, method="POST"),
    "assessor-blacklist-lift": page("晋中恒信's blacklisting", *REGISTRY, method="POST"),
    # A call is seen by its province and by the assessors filed with it (清源, not 华北 whose filing waits).
    "assessor-call-detail": page("山西's closed report call (2023)", *QINGYUAN_REGISTRY),
    # statistics
    "stats-export": page("the regions statistics table", *STATS),
}

FENHE_APP_OBJ = "the 汾河新材料 factory application (at 太原, report by 清源)"
DRAFT_OBJ = "the 汾河新材料 supply-chain draft"
TAIYUAN_OBJ = "太原's open notice (factory category)"

API = {
    "GET /api/v1/organizations/{id}/": api("the 小店区 bureau", *COUNTY_ORG),
    # Notifications are personal: nobody else reads them, a superuser neither.
    "GET /api/v1/notifications/{id}/": api("county's first notification", "county"),
    "GET /api/v1/notices/{id}/": api("太原's open notice (factory category)", *TAIYUAN_NOTICE),
    "PATCH /api/v1/notices/{id}/": api(TAIYUAN_OBJ, *TAIYUAN_ISSUER, sees=TAIYUAN_NOTICE),
    "POST /api/v1/notices/{id}/deadlines/": api(TAIYUAN_OBJ, *TAIYUAN_ISSUER, sees=TAIYUAN_NOTICE),
    "POST /api/v1/notices/{id}/forward/": api(
        "山西's open notice", "admin", "city", "city2", "zone", sees=SHANXI_NOTICE
    ),
    "POST /api/v1/notices/{id}/publish/": api(TAIYUAN_OBJ, *TAIYUAN_ISSUER, sees=TAIYUAN_NOTICE),
    "GET /api/v1/applications/{id}/": api("the 综改区光电 factory application (at 山西, experts)", *GUANGDIAN_APP),
    "PATCH /api/v1/applications/{id}/": api(DRAFT_OBJ, "admin", *FENHE_DRAFT_OWNER),
    "GET /api/v1/applications/{id}/eligibility/": api(
        "the 晋阳精密 factory application (at 小店区, consultation out)", *JINYANG_APP
    ),
    "POST /api/v1/applications/{id}/engagement/": api(DRAFT_OBJ, "admin", *FENHE_DRAFT_OWNER),
    "GET /api/v1/applications/{id}/files/{file_id}/": api(
        "a current file of the 汾河新材料 factory application", *FENHE_APP
    ),
    "POST /api/v1/applications/{id}/materials/": api(DRAFT_OBJ, "admin", *FENHE_DRAFT_OWNER),
    "GET /api/v1/applications/{id}/transitions/": api(FENHE_APP_OBJ, *FENHE_APP),
    "POST /api/v1/applications/{id}/transitions/": api(
        "the 晋阳精密 factory application (at 小店区, consultation out)", *JINYANG_APP
    ),
    "GET /api/v1/assessors/{id}/": api("清源 (the assessor)", *QINGYUAN_REGISTRY),
    "GET /api/v1/batches/{id}/": api("小店区's batch (received by 太原)", *XIAODIAN_BATCH),
    "PATCH /api/v1/batches/{id}/": api("经开区's draft batch", *DEVZONE_DRAFT_BATCH),
    "POST /api/v1/batches/{id}/scan/": api("经开区's draft batch", *DEVZONE_DRAFT_BATCH),
    "POST /api/v1/batches/{id}/transitions/": api("太原's batch (received by 山西)", *TAIYUAN_BATCH),
    "GET /api/v1/consultations/{id}/": api("小店区's consultation", *XIAODIAN_CONSULTATION),
    "POST /api/v1/consultations/{id}/replies/": api("小店区's consultation", *XIAODIAN_CONSULTATION),
    "POST /api/v1/consultations/{id}/waive/": api("太原's consultation", *TAIYUAN_CONSULTATION),
    "GET /api/v1/documents/{id}/": api("小店区's batch summary document", *XIAODIAN_BATCH),
    "GET /api/v1/documents/{id}/download/": api("小店区's batch summary document", *XIAODIAN_BATCH),
    "GET /api/v1/dynamic-reports/{id}/": api("太钢精密带钢's 2025 dynamic report", *TAIGANG_ENTRY),
    "POST /api/v1/dynamic-reports/{id}/accept/": api("太钢精密带钢's 2025 dynamic report", *TAIGANG_ENTRY),
    "POST /api/v1/dynamic-reports/{id}/return/": api("太钢精密带钢's 2025 dynamic report", *TAIGANG_ENTRY),
    "POST /api/v1/dynamic-reports/{id}/save/": api("太钢精密带钢's 2025 dynamic report", *TAIGANG_ENTRY),
    "POST /api/v1/dynamic-reports/{id}/submit/": api("太钢精密带钢's 2025 dynamic report", *TAIGANG_ENTRY),
    "GET /api/v1/engagements/{id}/": api("清源's engagement by 汾河新材料", *ENGAGEMENT),
    "POST /api/v1/engagements/{id}/cancel/": api("清源's engagement by 汾河新材料", *ENGAGEMENT),
    "POST /api/v1/engagements/{id}/report/": api("清源's engagement by 汾河新材料", *ENGAGEMENT),
    "POST /api/v1/engagements/{id}/respond/": api("清源's engagement by 汾河新材料", *ENGAGEMENT),
    "GET /api/v1/expert-reviews/assignments/{id}/": api("expert's assignment on 综改区光电", *ASSIGNMENT),
    "POST /api/v1/expert-reviews/assignments/{id}/decline/": api("expert's assignment on 综改区光电", *ASSIGNMENT),
    "POST /api/v1/expert-reviews/assignments/{id}/score/": api("expert's assignment on 综改区光电", *ASSIGNMENT),
    "GET /api/v1/expert-reviews/panels/{id}/": api("山西's factory panel", *PANEL),
    "POST /api/v1/expert-reviews/panels/{id}/assign/": api("山西's factory panel", *PANEL),
    "POST /api/v1/expert-reviews/panels/{id}/auto-assign/": api("山西's factory panel", *PANEL),
    "GET /api/v1/expert-reviews/panels/{id}/ranking/": api("山西's factory panel", *PANEL),
    "GET /api/v1/listings/{id}/": api("大同煤矿机械's removed provincial entry", *DATONG_REMOVED),
    "GET /api/v1/publicity-management/{id}/": api("the ministry's running 公示", *PUBLICITY_MANAGERS),
    "POST /api/v1/publicity-management/{id}/finalize/": api("the ministry's running 公示", *PUBLICITY_MANAGERS),
    "POST /api/v1/publicity-management/{id}/handle/": api("the ministry's running 公示", *PUBLICITY_MANAGERS),
    "POST /api/v1/publicity-management/{id}/publish/": api("the ministry's running 公示", *PUBLICITY_MANAGERS),
    # The running 公示 is public, and anyone may object to it (rate-limited per address).
    "GET /api/v1/publicity/{id}/": api("the ministry's running 公示", *ROLES, public=True),
    "POST /api/v1/publicity/{id}/objections/": api("the ministry's running 公示", *ROLES, public=True),
}
