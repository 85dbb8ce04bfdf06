"""The review chain in tests: applications submitted and moved up through the real workflow entry point.

`lift` forwards recommended applications in a batch row made directly, for tests of the levels above that do not
test batches themselves (reviews.services.batches does the real thing with its checks).
"""

from django.utils import timezone

from reviews.models import Batch, BatchItem
from reviews.services import transition_perform

from .application_helpers import ready_application


def submitted(tree, notice, *, applicant=None, user=None, category="factory", data=None):
    """A complete self-evaluated application submitted to its first authority."""
    applicant = applicant or tree.ent
    user = user or tree.users["ent"]
    application = ready_application(user, applicant, notice, category=category, data=data)
    return transition_perform(actor=user, application=application, action="submit")


def recommend(application, user, opinion="经审核，同意推荐。"):
    return transition_perform(actor=user, application=application, action="recommend", reason=opinion)


def lift(applications, *, authority, user, notice):
    """Forward recommended applications held by `authority` to its parent in a submitted batch."""
    number = Batch.objects.filter(authority=authority, year=notice.year).count() + 1
    batch = Batch.objects.create(
        authority=authority,
        recipient=authority.parent,
        notice=notice,
        year=notice.year,
        number=number,
        title=f"{authority.name}{notice.year}年第{number}批推荐",
        state=Batch.State.SUBMITTED,
        created_by=user,
        submitted_by=user,
        submitted_at=timezone.now(),
    )
    moved = []
    for rank, application in enumerate(applications, start=1):
        BatchItem.objects.create(batch=batch, application=application, rank=rank)
        moved.append(
            transition_perform(actor=user, application=application, action="forward", batch=batch, internal=True)
        )
    return batch, moved


def climb(application, tree, notice, *, to="province"):
    """Recommend at each level and lift until the application is held by `to` (city / province / ministry)."""
    for level, parent in (("county", "city"), ("city", "province"), ("province", "ministry")):
        application = recommend(application, tree.users[level])
        _, (application,) = lift([application], authority=getattr(tree, level), user=tree.users[level], notice=notice)
        if parent == to:
            return application
    raise ValueError(to)
