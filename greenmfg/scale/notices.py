"""The year's published notice chain: the ministry's, every province forwarding it, some cities forwarding theirs,
with the four categories, materials, quotas and deadlines."""

from datetime import date, datetime, timedelta

from django.utils import timezone

from notices.models import Deadline, Notice, NoticeCategory, Quota, RequiredMaterial
from organizations.models import Organization

from .common import MARK, MATERIALS_ALL, end_of_day


class NoticesMixin:
    def build_notices(self) -> None:
        rng, year = self.rng, self.year
        published = timezone.make_aware(datetime(year, 5, 6, 9, 30))
        body = f"（{MARK}）\n各省、自治区、直辖市工业和信息化主管部门：\n现组织开展{year}年度绿色制造名单推荐工作。"

        def notice(issuer, forwards, title, offset):
            return Notice(
                year=year,
                title=title,
                doc_number=f"规模测试〔{year}〕{issuer.pk}号",
                issuer=issuer,
                list_level="national",
                body=body,
                forwards=forwards,
                status=Notice.Status.PUBLISHED,
                issued_on=published.date() + timedelta(days=offset),
                published_at=published + timedelta(days=offset),
            )

        top = notice(self.ministry, None, f"工业和信息化部办公厅关于开展{year}年度绿色制造名单推荐工作的通知", 0)
        top.save()
        provinces = sorted((o for o in self.authorities.values() if o.level == "province"), key=lambda o: o.region_id)
        rows = [
            notice(p, top, f"{p.name}关于组织开展{year}年度绿色制造名单推荐工作的通知", rng.randint(3, 10))
            for p in provinces
        ]
        Notice.objects.bulk_create(rows)
        self.by_issuer = {n.issuer_id: n for n in rows}
        cities = sorted((o for o in self.authorities.values() if o.level == "city"), key=lambda o: o.region_id)
        city_rows = [
            notice(
                c,
                self.by_issuer[c.parent_id],
                f"{c.name}关于转发省《{year}年度绿色制造名单推荐工作通知》的通知",
                rng.randint(11, 18),
            )
            for c in cities
            if rng.random() < 0.45
        ]
        Notice.objects.bulk_create(city_rows, batch_size=500)
        self.by_issuer.update({n.issuer_id: n for n in city_rows})
        notices = [top, *rows, *city_rows]
        self.notice_ids = [n.pk for n in notices]
        # Categories: all four; three provinces (and their cities) count the cap per legal representative per year.
        by_rep = {p.pk for p in rng.sample(provinces, min(3, len(provinces)))}
        cats = []
        for n in notices:
            province_id = n.issuer_id if n.issuer.level == "province" else n.issuer.parent_id
            rep = province_id in by_rep
            for category in MATERIALS_ALL:
                cats.append(
                    NoticeCategory(
                        notice=n,
                        category=category,
                        cap_basis="legal_representative" if rep else "legal_entity",
                        cap_period="year" if rep else "batch",
                    )
                )
        NoticeCategory.objects.bulk_create(cats, batch_size=500)
        RequiredMaterial.objects.bulk_create(
            [
                RequiredMaterial(
                    notice_category=c, name=name, required=req, accepted_types=types, max_size_mb=size, position=i
                )
                for c in cats
                for i, (name, req, types, size) in enumerate(MATERIALS_ALL[c.category])
            ],
            batch_size=500,
        )
        factory = {c.notice_id: c for c in cats if c.category == "factory"}
        Quota.objects.bulk_create(
            [
                Quota(notice_category=factory[self.by_issuer[c.parent_id].pk], authority=c, limit=rng.randint(5, 40))
                for c in cities
            ],
            batch_size=500,
        )
        # The ministry's quotas per province and category (the ranking pages mark the rows within them).
        ministry = {c.category: c for c in cats if c.notice_id == top.pk}
        Quota.objects.bulk_create(
            [
                Quota(notice_category=ministry[c], authority=p, limit=rng.randint(8, 60))
                for p in provinces
                for c in ministry
            ],
            batch_size=500,
        )
        deadlines = [Deadline(notice=top, stage="authority", due_at=end_of_day(date(year, 9, 5)))]
        for n in rows:
            deadlines.append(Deadline(notice=n, stage="authority", due_at=end_of_day(date(year, 8, 20))))
            deadlines.append(Deadline(notice=n, stage="applicant", due_at=end_of_day(date(year, 7, 31))))
        for n in city_rows:
            deadlines.append(Deadline(notice=n, stage="authority", due_at=end_of_day(date(year, 8, 10))))
            deadlines.append(
                Deadline(
                    notice=n,
                    stage="applicant",
                    due_at=end_of_day(date(year, 7, 25)),
                    note="申报单位向所在县（市、区）工信局提交",
                )
            )
        Deadline.objects.bulk_create(deadlines, batch_size=500)

    def notice_for(self, applicant: Organization) -> Notice:
        """The nearest published notice of the applicant's chain (its city's notice, else its province's)."""
        authority = self.by_pk[applicant.competent_authority_id]
        while authority.pk not in self.by_issuer:
            authority = self.by_pk[authority.parent_id]
        return self.by_issuer[authority.pk]
