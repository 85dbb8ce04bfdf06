"""Building applications for tests the way users do: through the services, with real files."""

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from applications import services
from applications.models import NegativeItem
from notices import services as notice_services
from tests.notice_helpers import published_notice

# A minimal but well-formed one-page PDF.
PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"xref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000052 00000 n \n0000000101 00000 n \n"
    b"trailer<</Size 4/Root 1 0 R>>\nstartxref\n164\n%%EOF\n"
)

FACTORY_DATA = {
    "industry_code": "C3311",
    "industry_name": "金属结构制造",
    "evaluation_standard": "GB/T 36132-2018 绿色工厂评价通则",
    "key_energy_industry": False,
    "energy_efficiency_level": "advanced",
    "key_water_user": False,
    "water_saving_enterprise": False,
    "chain_leader": True,
    "little_giant": False,
    "town_leader": False,
    "self_score": 86.5,
}
PARK_DATA = {
    "park_level": "provincial",
    "main_function": True,
    "value_added_share": 62.5,
    "legal_boundary": True,
    "unified_management": True,
    "green_factory_count": 7,
    "green_factory_share": 18.0,
    "low_carbon_pilot": False,
    "water_saving_park": True,
    "self_score": 80,
}


def pdf(name="材料.pdf", content=PDF_BYTES):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def open_chain(tree, actor, *, applicant_days=5, materials=(("factory", "自评价报告"),)):
    """Ministry → province → city notices, open, with the applicant deadline `applicant_days` from now.

    The ministry's notice requires `materials`; forwarding copies them down the chain.
    """
    now = timezone.now().replace(microsecond=0)

    def add_materials(notice):
        for category, name in materials:
            add_required_material(actor, notice, category=category, name=name)

    top = published_notice(
        actor, tree.ministry, deadlines=[("authority", now + timedelta(days=60))], before_publish=add_materials
    )
    prov = published_notice(actor, tree.province, forwards=top, deadlines=[("authority", now + timedelta(days=30))])
    city = published_notice(
        actor,
        tree.city,
        forwards=prov,
        deadlines=[("authority", now + timedelta(days=20)), ("applicant", now + timedelta(days=applicant_days))],
    )
    return city


def add_required_material(actor, notice, category="factory", name="自评价报告", types="pdf", size_mb=5):
    nc = notice.categories.get(category=category)
    return notice_services.material_save(
        actor=actor, notice_category=nc, name=name, required=True, accepted_types=types, max_size_mb=size_mb
    )


def declare_all(user, application, occurred=()):
    answers = {
        code: {"occurred": code in occurred, "note": "说明" if code in occurred else ""} for code in NegativeItem.values
    }
    services.declarations_save(actor=user, application=application, answers=answers)
    return services.commitment_sign(actor=user, application=application, signer="王建国")


def draft_in_open_chain(tree, user_model):
    """A superuser, the open city notice of open_chain and the enterprise's empty factory draft under it."""
    root = user_model.objects.create_superuser("root", "root@example.test", "x-unused-password-1")
    notice = open_chain(tree, root)
    application = services.application_create(
        actor=tree.users["ent"], applicant=tree.ent, notice=notice, category="factory", data={}
    )
    return root, notice, application


def ready_application(user, applicant, notice, category="factory", data=None):
    """A self-evaluated application with data, declarations, commitment and every required material."""
    application = services.application_create(
        actor=user,
        applicant=applicant,
        notice=notice,
        category=category,
        data=data or (PARK_DATA if category == "park" else FACTORY_DATA),
    )
    declare_all(user, application)
    for material in notice.categories.get(category=category).materials.filter(required=True):
        services.material_upload(actor=user, application=application, kind=str(material.pk), upload=pdf())
    application.refresh_from_db()
    return application
