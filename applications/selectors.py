"""Reads about applications, above all who may see which (guardian grants follow the flow)."""

from django.db.models import Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from guardian.shortcuts import get_objects_for_user

from greenmfg.request_memo import in_transaction, memoized, remember
from greenmfg.shared_cache import kept_in_request
from notices.models import NoticeCategory, RequiredMaterial
from organizations.selectors import acting_org_ids

from .categories import FORMS
from .models import THIRD_PARTY_REPORT, Application, Declaration, Engagement, MaterialFile, NegativeItem

VIEW = "applications.view_application"


def applications_visible_to(user) -> QuerySet[Application]:
    """The one visibility rule: the applicant, its commissioned assessor, and each authority the application
    has reached (and later departments and experts it is sent to) hold a guardian grant; others see nothing."""
    base = Application.objects.select_related("applicant", "holder", "notice", "notice__issuer")
    if not user.is_authenticated or not user.is_active:
        return base.none()
    if user.is_superuser:
        return base
    # guardian's own queryset (pk IN user grants OR pk IN group grants), not nested in a second pk IN: nested,
    # PostgreSQL scans every application to evaluate the OR; flat, it checks only the rows the caller narrowed to.
    # Built once a request (guardian spends ~3 ms of Python on it; a page asks two or three times) and handed out
    # as a fresh copy: the grants are a subquery, read by each query at its own time, so a copy is never stale.
    visible = memoized(
        ("applications_visible_to", user.pk),
        lambda: get_objects_for_user(user, VIEW, klass=Application, accept_global_perms=False).select_related(
            "applicant", "holder", "notice", "notice__issuer"
        ),
    )
    return visible.all()


def application_for(user, pk) -> Application:
    application = get_object_or_404(applications_visible_to(user), pk=pk)
    remember(seen_key(user, application), True)
    return application


def seen_key(user, obj) -> tuple:
    """The request found `obj` through its visibility rule for `user` (the documents panel need not ask again)."""
    return ("visible", obj._meta.label, obj.pk, user.pk)


def current_files(application: Application) -> dict[str, MaterialFile]:
    """Kind → current file (kept for the request: its pages check completeness more than once; an upload
    forgets it)."""
    return dict(
        memoized(
            ("current_files", application.pk),
            lambda: {f.kind: f for f in application.files.filter(is_current=True).select_related("uploaded_by")},
        )
    )


def application_files(application: Application) -> list[MaterialFile]:
    """Every version of every file, by kind then newest first; the current ones are kept for the request (the page
    lists the versions, its completeness guard asks for the current files)."""
    files = list(application.files.select_related("uploaded_by", "uploaded_by_org").order_by("kind", "-version", "-id"))
    if not in_transaction():
        remember(("current_files", application.pk), {f.kind: f for f in files if f.is_current})
    return files


def file_for(user, application_pk, file_pk) -> MaterialFile:
    """A file is visible exactly when its application is."""
    application = application_for(user, application_pk)
    return get_object_or_404(MaterialFile.objects.select_related("application"), pk=file_pk, application=application)


def notice_category_of(application: Application) -> NoticeCategory | None:
    """The notice's settings for the application's category with its required materials (kept for the request)."""
    return kept_in_request(
        ("notice_category", application.notice_id, application.category),
        lambda: (
            NoticeCategory.objects.filter(notice_id=application.notice_id, category=application.category)
            .prefetch_related(Prefetch("materials", queryset=RequiredMaterial.objects.order_by("position", "id")))
            .first()
        ),
    )


def declarations_of(application: Application) -> list[Declaration]:
    """The application's negative-list answers (kept for the request: the page and its guards read them; saving an
    answer forgets them)."""
    return list(
        memoized(("declarations", application.pk), lambda: list(Declaration.objects.filter(application=application)))
    )


def active_engagement(application: Application) -> Engagement | None:
    return (
        application.engagements.filter(status__in=[Engagement.Status.PENDING, Engagement.Status.ACCEPTED])
        .select_related("assessor")
        .first()
    )


def completeness(application: Application) -> list[str]:
    """What still stands between the application and submission, in Chinese, in the order a user fixes it."""
    problems = []
    form = FORMS[application.category]
    missing = form().missing(application.data or {})
    if missing:
        problems.append("申报信息未填写：" + "、".join(missing))
    notice_category = notice_category_of(application)
    if notice_category is None:
        problems.append("所选通知未开放该申报类别。")
    else:
        if (
            application.evaluation_mode == Application.EvaluationMode.SELF
            and not notice_category.self_evaluation_allowed
        ):
            problems.append("本通知该类别不允许自评价，请委托第三方评价机构。")
        if (
            application.evaluation_mode == Application.EvaluationMode.THIRD_PARTY
            and not notice_category.third_party_allowed
        ):
            problems.append("本通知该类别不接受第三方评价。")
        files = current_files(application)
        lacking = [m.name for m in notice_category.materials.all() if m.required and str(m.pk) not in files]
        if lacking:
            problems.append("缺少必须提交的材料：" + "、".join(lacking))
    answered = {d.item for d in declarations_of(application)}
    unanswered = [label for code, label in NegativeItem.choices if code not in answered]
    if unanswered:
        problems.append(f"负面清单声明还有{len(unanswered)}项未作答。")
    if not application.commitment_signed_at:
        problems.append("尚未签署承诺书。")
    if application.evaluation_mode == Application.EvaluationMode.THIRD_PARTY:
        engagement = active_engagement(application)
        if engagement is None:
            problems.append("尚未委托第三方评价机构。")
        elif engagement.status != Engagement.Status.ACCEPTED:
            problems.append(f"第三方评价机构“{engagement.assessor.name}”尚未接受委托。")
        elif not engagement.report_submitted_at or engagement.score is None:
            problems.append(f"第三方评价机构“{engagement.assessor.name}”尚未上传评价报告和得分。")
        elif THIRD_PARTY_REPORT not in current_files(application):
            problems.append("第三方评价报告文件缺失。")
    return problems


def missing_summary(applications) -> dict[int, list[str]]:
    """completeness() for many applications in a fixed number of queries (dashboards and lists).

    Same messages in the same order as completeness(); tests/test_dashboards_applications.py holds both to that.
    """
    applications = list(applications)
    if not applications:
        return {}
    ids = [a.pk for a in applications]
    notice_categories = {
        (nc.notice_id, nc.category): nc
        for nc in NoticeCategory.objects.filter(
            notice_id__in={a.notice_id for a in applications}, category__in={a.category for a in applications}
        ).prefetch_related(Prefetch("materials", queryset=RequiredMaterial.objects.order_by("position", "id")))
    }
    files: dict[int, set[str]] = {pk: set() for pk in ids}
    for application_id, kind in MaterialFile.objects.filter(application_id__in=ids, is_current=True).values_list(
        "application_id", "kind"
    ):
        files[application_id].add(kind)
    answered: dict[int, set[str]] = {pk: set() for pk in ids}
    for application_id, item in Declaration.objects.filter(application_id__in=ids).values_list(
        "application_id", "item"
    ):
        answered[application_id].add(item)
    engagements: dict[int, Engagement] = {}
    third_party = [a.pk for a in applications if a.evaluation_mode == Application.EvaluationMode.THIRD_PARTY]
    if third_party:
        for engagement in (
            Engagement.objects.filter(
                application_id__in=third_party, status__in=[Engagement.Status.PENDING, Engagement.Status.ACCEPTED]
            )
            .select_related("assessor")
            .order_by("requested_at", "id")
        ):
            engagements[engagement.application_id] = engagement  # the newest active one, as active_engagement()

    summary = {}
    for application in applications:
        problems = []
        missing = FORMS[application.category]().missing(application.data or {})
        if missing:
            problems.append("申报信息未填写：" + "、".join(missing))
        notice_category = notice_categories.get((application.notice_id, application.category))
        if notice_category is None:
            problems.append("所选通知未开放该申报类别。")
        else:
            if (
                application.evaluation_mode == Application.EvaluationMode.SELF
                and not notice_category.self_evaluation_allowed
            ):
                problems.append("本通知该类别不允许自评价，请委托第三方评价机构。")
            if (
                application.evaluation_mode == Application.EvaluationMode.THIRD_PARTY
                and not notice_category.third_party_allowed
            ):
                problems.append("本通知该类别不接受第三方评价。")
            lacking = [
                m.name for m in notice_category.materials.all() if m.required and str(m.pk) not in files[application.pk]
            ]
            if lacking:
                problems.append("缺少必须提交的材料：" + "、".join(lacking))
        unanswered = [code for code in NegativeItem.values if code not in answered[application.pk]]
        if unanswered:
            problems.append(f"负面清单声明还有{len(unanswered)}项未作答。")
        if not application.commitment_signed_at:
            problems.append("尚未签署承诺书。")
        if application.evaluation_mode == Application.EvaluationMode.THIRD_PARTY:
            engagement = engagements.get(application.pk)
            if engagement is None:
                problems.append("尚未委托第三方评价机构。")
            elif engagement.status != Engagement.Status.ACCEPTED:
                problems.append(f"第三方评价机构“{engagement.assessor.name}”尚未接受委托。")
            elif not engagement.report_submitted_at or engagement.score is None:
                problems.append(f"第三方评价机构“{engagement.assessor.name}”尚未上传评价报告和得分。")
            elif THIRD_PARTY_REPORT not in files[application.pk]:
                problems.append("第三方评价报告文件缺失。")
        summary[application.pk] = problems
    return summary


def engagements_for_assessor(organization) -> QuerySet[Engagement]:
    return (
        Engagement.objects.filter(assessor=organization)
        .select_related("application", "application__applicant", "application__notice")
        .order_by("-requested_at")
    )


def engagements_visible_to(user) -> QuerySet[Engagement]:
    """An engagement is seen by members of the assessor it commissions and of the applicant that commissioned it
    (a declined or cancelled one too: its history stays with both)."""
    base = Engagement.objects.select_related(
        "assessor", "application", "application__applicant", "application__notice"
    ).order_by("-requested_at", "-id")
    if not user.is_authenticated or not user.is_active:
        return base.none()
    if user.is_superuser:
        return base
    orgs = acting_org_ids(user)
    return base.filter(Q(assessor_id__in=orgs) | Q(application__applicant_id__in=orgs))
