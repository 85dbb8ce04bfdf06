"""Building notices for tests through the services, as an issuing authority would."""

from datetime import datetime
from zoneinfo import ZoneInfo

from notices import services

SHANGHAI = ZoneInfo("Asia/Shanghai")


def sh(*args) -> datetime:
    """An aware datetime in Asia/Shanghai: sh(2024, 5, 17, 23, 59, 59)."""
    return datetime(*args, tzinfo=SHANGHAI)


def published_notice(
    actor,
    issuer,
    *,
    year=2024,
    forwards=None,
    categories=("factory", "park", "supply_chain"),
    deadlines=(),
    list_level="national",
    before_publish=None,
):
    """deadlines: (stage, due_at) or (stage, due_at, authority)."""
    if forwards is not None:
        notice = services.notice_forward(actor=actor, notice=forwards, authority=issuer)
    else:
        notice = services.notice_create(
            actor=actor,
            issuer=issuer,
            year=year,
            title=f"{issuer.name}{year}年度通知",
            list_level=list_level,
            categories=categories,
        )
    for item in deadlines:
        stage, due_at, *rest = item
        services.deadline_set(
            actor=actor, notice=notice, stage=stage, due_at=due_at, authority=rest[0] if rest else None
        )
    if before_publish is not None:
        before_publish(notice)
    return services.notice_publish(actor=actor, notice=notice)
