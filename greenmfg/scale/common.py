"""What every step of the national data set shares: the mark on its organizations, names to draw from, the guard
against seeding a production database, and INSERT … SELECT for rows the database can make by itself."""

import re
import tempfile
from datetime import date, datetime
from datetime import time as dtime

from django.conf import settings
from django.db import connection
from django.utils import timezone

from greenmfg.demo_notices import MATERIALS

MARK = "规模测试数据（seed_scale）"
A, E, P, S, D = "authority", "enterprise", "park", "assessor", "department"
MATERIALS_ALL = {
    **MATERIALS,
    "product": [
        ("绿色设计产品自评价报告或第三方评价报告", True, "pdf", 50),
        ("产品检测报告", True, "pdf", 20),
        ("近三年无负面清单情形承诺书", True, "pdf", 10),
    ],
}
SAFE_NAME = re.compile(r"(^|[^a-z])(test|tests|bench|benchmark|scale|seed|tmp)([^a-z]|$)")
BRANDS = "恒达 华晟 金泰 宏远 鑫源 中联 海川 天成 瑞丰 鼎盛 永安 润泽 博瑞 凯旋 嘉禾 新纪元 长城 东方 正大 伟业 兴隆 泰和 合力 力拓 荣盛 华信 银河 同创 远景 明德".split()
FIELDS = "精密 新材料 环保 智能 能源 化工 机械 电子 食品 纺织 汽车零部件 光电 储能 装备 医药 建材 钢铁 有色 造纸 家电".split()
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "建国 志强 秀兰 海燕 立新 德明 国强 建华 志勇 文博 明辉 丽华 国栋 立群 振华 晓燕 卫东 志刚 红梅 玉兰 春生 永福 桂芳 俊杰".split()


# (industry code, name, key energy-using industry)
def database_problem() -> str:
    """Why this database does not look like a test or benchmark one (empty when it does, or DEBUG is on)."""
    if settings.DEBUG:
        return ""
    db = connection.settings_dict
    name = str(db.get("NAME") or "")
    if db["ENGINE"].endswith("sqlite3"):
        if name == ":memory:" or "mode=memory" in name or name.startswith((tempfile.gettempdir(), "/tmp/")):
            return ""
    if SAFE_NAME.search(name.rsplit("/", 1)[-1].lower()):
        return ""
    return f"DEBUG 未开启，且数据库“{name}”不像测试或基准库（名称含 test、bench、scale、seed 或 tmp）"


def short(name: str) -> str:
    for suffix in (
        "维吾尔自治区",
        "壮族自治区",
        "回族自治区",
        "自治区",
        "特别行政区",
        "省",
        "市",
        "地区",
        "盟",
        "自治州",
    ):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def end_of_day(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, dtime(23, 59, 59)))


def table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def insert_select(model, columns: list[str], select: str, params: list) -> None:
    """INSERT INTO model (columns) SELECT …: rows made by the database, no Python object per row."""
    cols = ", ".join(connection.ops.quote_name(model._meta.get_field(c).column) for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table(model)} ({cols}) {select}", params)


def years_ago(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)
