"""Fonts for rendered documents: the project's fontconfig aliases plus a directory of licensed fonts that win.

`configure()` writes a small fontconfig file naming the licensed directory, the system configuration and the
project's aliases (documents/fonts/fonts.conf), and points FONTCONFIG_FILE at it before WeasyPrint loads. The same
file is handed to LibreOffice when office files are converted.
"""

import os
from pathlib import Path

from django.conf import settings

ALIASES = Path(__file__).with_name("fonts") / "fonts.conf"
FAMILIES = {
    "fangsong": "仿宋_GB2312",
    "xiaobiaosong": "方正小标宋简体",
    "heiti": "黑体",
    "kaiti": "楷体_GB2312",
    "songti": "宋体",
}
# CSS stacks name the official face first, then the free font the aliases would pick anyway
CSS_STACKS = {
    "fangsong": '"仿宋_GB2312", "仿宋", "FangSong", "Noto Serif CJK SC", serif',
    "xiaobiaosong": '"方正小标宋简体", "小标宋", "Noto Serif CJK SC", serif',
    "heiti": '"黑体", "SimHei", "Noto Sans CJK SC", sans-serif',
    "kaiti": '"楷体_GB2312", "楷体", "KaiTi", "AR PL UKai CN", serif',
    "songti": '"宋体", "SimSun", "Noto Serif CJK SC", serif',
}


def fontconfig_path() -> Path:
    return Path(settings.DOCUMENTS_WORK_DIR) / "fontconfig" / "fonts.conf"


def write_fontconfig() -> Path:
    licensed = Path(settings.LICENSED_FONTS_DIR)
    path = fontconfig_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    text = (
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n<fontconfig>\n'
        f"  <dir>{_xml(licensed)}</dir>\n"
        '  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>\n'
        f"  <include>{_xml(ALIASES)}</include>\n"
        f"  <cachedir>{_xml(path.parent / 'cache')}</cachedir>\n"
        "</fontconfig>\n"
    )
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    return path


def configure() -> Path:
    """Point this process's fontconfig at the project file; call before pango or LibreOffice start."""
    path = write_fontconfig()
    os.environ["FONTCONFIG_FILE"] = str(path)
    return path


def _xml(path: Path) -> str:
    return str(path).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
