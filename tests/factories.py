"""Factories that go through the services, so test objects are built the way the portal builds them."""

import itertools

import factory
from django.contrib.auth import get_user_model

from organizations.credit_code import make_credit_code
from organizations.models import Organization
from organizations.services import membership_add, organization_create

_serial = itertools.count(1)
PASSWORD = "test-password-123"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Sequence(lambda n: f"测试用户{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.test")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def credit_code(region: str = "140105") -> str:
    return make_credit_code(f"91{region}MA{next(_serial):06d}Y")


def org(**fields) -> Organization:
    return organization_create(actor=None, check_permission=False, **fields)


def authority(name, region, level, parent=None) -> Organization:
    return org(kind="authority", name=name, region_id=region, level=level, parent=parent)


def enterprise(name, competent_authority, kind="enterprise") -> Organization:
    region = competent_authority.region_id
    return org(
        kind=kind, name=name, region_id=region, credit_code=credit_code(region), competent_authority=competent_authority
    )


def department(name, competent_authority, domain) -> Organization:
    return org(
        kind="department",
        name=name,
        region_id=competent_authority.region_id,
        domain=domain,
        competent_authority=competent_authority,
    )


def member(organization, role="admin", username=None):
    user = UserFactory(username=username) if username else UserFactory()
    membership_add(actor=None, user=user, organization=organization, role=role)
    return user
