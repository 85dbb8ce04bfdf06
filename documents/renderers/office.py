"""Office files to PDF with LibreOffice (headless), using the project's fonts. Used for materials in merged PDFs."""

import os
import subprocess
import tempfile
from pathlib import Path


class ConversionError(Exception):
    pass


def convert(data: bytes, ext: str, *, to: str = "pdf", timeout: int = 120) -> bytes:
    """Convert one file (docx, xlsx, ...) and return the bytes; each call has its own LibreOffice profile."""
    from documents import fonts

    with tempfile.TemporaryDirectory(prefix="gm-office-") as tmp:
        src = Path(tmp) / f"in.{ext}"
        src.write_bytes(data)
        env = {**os.environ, "HOME": tmp, "FONTCONFIG_FILE": str(fonts.write_fontconfig())}
        cmd = [
            "soffice",
            f"-env:UserInstallation=file://{tmp}/profile",
            "--headless",
            "--norestore",
            "--convert-to",
            to,
            "--outdir",
            tmp,
            str(src),
        ]
        try:
            done = subprocess.run(cmd, env=env, capture_output=True, timeout=timeout, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ConversionError(f"LibreOffice 转换失败：{exc}") from exc
        out = Path(tmp) / f"in.{to}"
        if done.returncode != 0 or not out.exists():
            detail = (done.stderr or done.stdout).decode("utf-8", "replace").strip()[-500:]
            raise ConversionError(f"LibreOffice 无法转换该文件（{ext}）：{detail or '未生成输出'}")
        return out.read_bytes()
