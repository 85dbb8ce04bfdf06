"""Who a user is a member of is kept in the cache between requests, and never past a change to it."""

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from greenmfg.request_memo import RequestMemoMiddleware
from organizations.models import Membership
from organizations.selectors import memberships_of, roles_of
from organizations.services import membership_add, membership_remove

MEMBERSHIP_SQL = 'FROM "organizations_membership"'


def membership_reads(queries) -> int:
    return sum(MEMBERSHIP_SQL in q["sql"] for q in queries)


def in_request(user_model, pk, read):
    """`read` on a fresh user object inside a request, as a page would; returns its result and the queries."""
    seen = {}

    def view(request):
        with CaptureQueriesContext(connection) as ctx:
            seen["result"] = read(user_model.objects.get(pk=pk))
        seen["reads"] = membership_reads(ctx.captured_queries)

    RequestMemoMiddleware(view)(None)
    return seen["result"], seen["reads"]


def org_ids(user):
    return sorted(m.organization_id for m in memberships_of(user))


def test_the_second_request_reads_no_membership_and_a_removal_is_seen_by_the_next(tree, django_user_model):
    user = tree.users["county"]
    root = django_user_model.objects.create_superuser("root", "root@example.test", "x-unused-password-1")
    assert in_request(django_user_model, user.pk, org_ids) == ([tree.county.pk], 1)
    assert in_request(django_user_model, user.pk, org_ids) == ([tree.county.pk], 0)
    second = membership_add(actor=root, organization=tree.city, user=user, role=Membership.Role.OPERATOR)
    assert in_request(django_user_model, user.pk, org_ids) == (sorted([tree.county.pk, tree.city.pk]), 1)
    membership_remove(actor=root, membership=second)
    assert in_request(django_user_model, user.pk, org_ids) == ([tree.county.pk], 1)
    # An organization renamed: the role's label follows at the next request.
    tree.county.name = "小店区工业和信息化局（改名）"
    tree.county.save(update_fields=["name"])
    labels, reads = in_request(django_user_model, user.pk, lambda u: [r.label for r in roles_of(u)])
    assert reads == 1 and labels[0].startswith("小店区工业和信息化局（改名）")


def test_a_read_inside_a_transaction_the_request_opened_is_not_kept(tree, django_user_model):
    user = tree.users["city"]
    root = django_user_model.objects.create_superuser("root", "root@example.test", "x-unused-password-1")

    def added_then_rolled_back(u):
        try:
            with transaction.atomic():
                membership_add(actor=root, organization=tree.province, user=u, role=Membership.Role.OPERATOR)
                inside = org_ids(u)
                raise RuntimeError("rolled back")
        except RuntimeError:
            return inside

    assert in_request(django_user_model, user.pk, added_then_rolled_back)[0] == sorted([tree.city.pk, tree.province.pk])
    assert in_request(django_user_model, user.pk, org_ids) == ([tree.city.pk], 1)
    assert in_request(django_user_model, user.pk, org_ids) == ([tree.city.pk], 0)


def test_users_do_not_share_what_is_kept(tree, django_user_model):
    assert in_request(django_user_model, tree.users["county"].pk, org_ids)[0] == [tree.county.pk]
    assert in_request(django_user_model, tree.users["other_county"].pk, org_ids) == ([tree.other_county.pk], 1)
    assert in_request(django_user_model, tree.users["county"].pk, org_ids) == ([tree.county.pk], 0)
