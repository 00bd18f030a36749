"""``hil report allure RUN_DIR``: one offline HTML file, without analytics.

The build itself needs the Allure 3 generator (``scripts/install-allure``); those tests
skip without it. The tracker stripping and the "not installed" path are tested always.
"""

from __future__ import annotations

import argparse
import base64
import json
import re
from pathlib import Path

import pytest

from harness.cli.main import main
from harness.reporting import allure_html
from harness.reporting.allure_html import (
    GeneratorMissing,
    find_generator,
    run_allure,
    strip_trackers,
    tracker_references,
)

ROOT = Path(__file__).resolve().parents[2]

PAGE = """<!DOCTYPE html><html><head><title>r</title></head><body>
<script>window.allureReportOptions = {"reportName":"r"}</script>
<script src="data:text/javascript;base64,QVBQ"></script>
<script async src="https://www.googletagmanager.com/gtag/js?id=G-LNDJ3J7WT0"></script>
<script>
    window.dataLayer = window.dataLayer || [];
    function gtag(){dataLayer.push(arguments);}
    gtag('js', new Date());
</script>
<script defer>d("data/test-results/1.json","e30=")</script>
</body></html>"""


def test_analytics_scripts_are_removed_and_the_report_kept():
    html, removed = strip_trackers(PAGE)
    assert removed == 2
    assert tracker_references(html) == []
    assert "googletagmanager" not in html and "gtag" not in html and "dataLayer" not in html
    assert "allureReportOptions" in html and "base64,QVBQ" in html and 'd("data/' in html


def test_a_tracker_outside_a_script_is_reported():
    assert tracker_references('<img src="https://www.google-analytics.com/collect">')


def args(run_dir: Path) -> argparse.Namespace:
    return argparse.Namespace(run_dir=str(run_dir), output=None)


def make_results(run_dir: Path) -> None:
    results = run_dir / "allure-results"
    results.mkdir(parents=True)
    (results / "0-result.json").write_text(json.dumps({"name": "t", "status": "passed"}))


def test_missing_generator_exits_2_saying_how_to_install(tmp_path, monkeypatch, capsys):
    make_results(tmp_path / "RUN")
    monkeypatch.delenv("HIL_ALLURE", raising=False)
    monkeypatch.setattr(allure_html, "LOCAL_GENERATOR", tmp_path / "nowhere" / "allure")
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    with pytest.raises(GeneratorMissing):
        find_generator()
    assert run_allure(args(tmp_path / "RUN")) == 2
    err = capsys.readouterr().err
    assert "scripts/install-allure" in err and "npm install --prefix .allure allure" in err
    assert not (tmp_path / "RUN" / "allure-report.html").exists()


def test_a_folder_without_results_is_an_input_error(tmp_path, capsys):
    assert run_allure(args(tmp_path)) == 2
    assert "allure-results" in capsys.readouterr().err


def test_the_cli_knows_the_command(tmp_path):
    """``hil report allure`` reaches run_allure once the parser is registered."""
    parser = argparse.ArgumentParser()
    allure_html.add_allure_parser(parser.add_subparsers())
    parsed = parser.parse_args(["allure", str(tmp_path)])
    assert parsed.func is run_allure and parsed.run_dir == str(tmp_path)


def embedded_data(html: str) -> dict[str, str]:
    """The report's data files, which the single file carries base64-encoded."""
    found = re.findall(r'd\("([^"]+)","([A-Za-z0-9+/=]*)"\)', html)
    return {name: base64.b64decode(body).decode("utf-8", "replace") for name, body in found}


@pytest.fixture(scope="module")
def generator() -> list[str]:
    try:
        return find_generator()
    except GeneratorMissing:
        pytest.skip("the Allure 3 generator is not installed (scripts/install-allure)")


def test_single_offline_file_with_the_tests_and_no_analytics(generator, tmp_path):
    suite = ROOT / "test_suites" / "test_identity.py"
    argv = ["run", "-q", f"--reports-dir={tmp_path}", "--run-id=H1"]
    assert main([*argv, "-pharness.plugin.allure", str(suite)]) == 0
    run_dir = tmp_path / "H1"
    assert run_allure(args(run_dir)) == 0
    report = run_dir / "allure-report.html"
    assert [p.name for p in run_dir.glob("allure-report*")] == [report.name]
    html = report.read_text("utf-8")
    assert html.lstrip().startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    assert tracker_references(html) == []
    for word in ("googletagmanager", "gtag(", "google-analytics", "dataLayer"):
        assert word not in html
    # self-contained: every script is inline or a data: URI, nothing fetched from a host
    sources = re.findall(r"<(?:script|link|img)\b[^>]*(?:src|href)=\"([^\"]+)\"", html)
    assert all(s.startswith("data:") for s in sources), sources
    data = "\n".join(embedded_data(html).values())
    assert "test_unit_reports_its_identity" in data
    assert "test_reported_level_and_frequency_match_the_output" in data
    assert "COM-ID" in data and "RMD1-SIM-0001" in data
