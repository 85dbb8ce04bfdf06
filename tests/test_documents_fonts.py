"""The project's fontconfig: official faces resolve to the free CJK fonts, and a licensed font dropped into
LICENSED_FONTS_DIR wins over them (checked with fc-match and with a real WeasyPrint render in a fresh process)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from fontTools import subset
from fontTools.ttLib import TTCollection

from documents import fonts

NOTO_SANS = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")


def match(family: str, conf: Path) -> str:
    out = subprocess.run(
        ["fc-match", "-f", "%{family[0]}|%{style[0]}", family],
        env={**os.environ, "FONTCONFIG_FILE": str(conf)},
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout


@pytest.fixture
def conf(settings, tmp_path):
    settings.LICENSED_FONTS_DIR = tmp_path / "licensed"
    settings.DOCUMENTS_WORK_DIR = tmp_path / "work"
    settings.LICENSED_FONTS_DIR.mkdir()
    return fonts.write_fontconfig()


def test_official_faces_fall_back_to_the_free_fonts(conf):
    assert match("仿宋_GB2312", conf) == "Noto Serif CJK SC|Regular"
    assert match("FangSong", conf) == "Noto Serif CJK SC|Regular"
    assert match("方正小标宋简体", conf) == "Noto Serif CJK SC|Bold"
    assert match("黑体", conf) == "Noto Sans CJK SC|Regular"
    assert match("楷体_GB2312", conf) == "AR PL UKai CN|Book"
    # Office defaults in uploaded materials
    assert match("等线", conf) == "Noto Sans CJK SC|Regular"
    assert match("Microsoft YaHei", conf) == "Noto Sans CJK SC|Regular"
    assert match("SimSun", conf) == "Noto Serif CJK SC|Regular"


def licensed_font(path: Path, family: str) -> None:
    """A stand-in for a customer's licensed font: a few glyphs of Noto Sans CJK renamed to the official family."""
    font = TTCollection(str(NOTO_SANS)).fonts[0]
    options = subset.Options()
    options.name_IDs = ["*"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="推荐绿色制造名单工厂2024")
    subsetter.subset(font)
    for record in font["name"].names:
        if record.nameID in (1, 4, 16):
            record.string = family
        elif record.nameID == 6:
            record.string = "LicensedFangSong"
    font.save(str(path))


def test_a_licensed_font_in_the_directory_wins(conf, settings, tmp_path):
    licensed_font(settings.LICENSED_FONTS_DIR / "fangsong_gb2312.otf", "仿宋_GB2312")
    assert match("仿宋_GB2312", conf).startswith("仿宋_GB2312|")
    assert match("方正小标宋简体", conf) == "Noto Serif CJK SC|Bold"  # the others still fall back
    # A fresh process (pango reads the configuration once) renders with it and embeds it.
    pdf = tmp_path / "licensed.pdf"
    script = (
        "from weasyprint import HTML; import sys; "
        "HTML(string='<p style=\"font-family: 仿宋_GB2312; font-size: 16pt\">推荐绿色制造名单</p>')"
        ".write_pdf(sys.argv[1])"
    )
    subprocess.run(
        [sys.executable, "-c", script, str(pdf)],
        env={**os.environ, "FONTCONFIG_FILE": str(conf)},
        check=True,
        capture_output=True,
    )
    listing = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "+仿宋_GB2312" in listing and "Noto" not in listing
