"""The HTML spec document in a real browser (headless Chromium): it renders, prints on A4, and logs no errors.

Skips, with the reason, where Chromium is not installed (Debian's package is `chromium`).
"""

from __future__ import annotations

import shutil
import subprocess

import pytest
from click.testing import CliRunner

from explorer.cli import main

CHROMIUM = next((b for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)), None)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="headless Chromium is not installed (apt-get install chromium)"
)


def chromium(*args: str, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_the_spec_document_renders_and_prints_on_a4(tmp_path) -> None:
    result = CliRunner().invoke(main, ["--target", "china", "--base", "gh100", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    page = (tmp_path / "gh100.html").as_uri()
    shot = tmp_path / "shot.png"
    run = chromium(f"--screenshot={shot}", "--window-size=1280,4000", page)
    assert shot.exists() and shot.stat().st_size > 20_000, run.stderr[-2000:]
    errors = [
        line
        for line in run.stderr.splitlines()
        if "Uncaught" in line or ("CONSOLE" in line and "error" in line.lower())
    ]
    assert not errors, errors
    pdf = tmp_path / "page.pdf"
    chromium(f"--print-to-pdf={pdf}", "--no-pdf-header-footer", page)
    assert pdf.exists() and pdf.read_bytes().startswith(b"%PDF")
    if shutil.which("pdftotext"):  # the compliance matrix's last column is on the page, not clipped away
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
        assert "margin" in text and "3A090.b.1" in text
