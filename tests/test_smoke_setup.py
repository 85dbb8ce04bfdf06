from organizations.models import Membership, Organization, Region


def test_regions_fixture_is_loaded_by_migration(db):
    assert Region.objects.filter(level="province").count() == 34
    assert Region.objects.get(code="140105").name == "小店区"
    assert Region.objects.get(code="140105").parent.parent.name == "山西省"


def test_tree_fixture_builds_groups_and_memberships(tree):
    assert tree.county.parent == tree.city
    assert tree.ent.group.name == f"org-{tree.ent.pk}"
    user = tree.users["ent"]
    assert Membership.objects.get(user=user).organization == tree.ent
    assert user.groups.filter(pk=tree.ent.group_id).exists()
    assert Organization.objects.filter(kind="department").count() == 2
