"""The locks in constraints/ match the lanes scripts/dev.py defines (scripts/lock.py writes them)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
sys.path.insert(0, str(SCRIPTS))

import dev  # noqa: E402
import lock  # noqa: E402

LOCKED = [name for name, lane in dev.LANES.items() if lane.lock]


@pytest.mark.parametrize("name", LOCKED)
def test_each_locked_lane_has_a_lock_written_with_its_pins(name):
    lane = dev.LANES[name]
    assert lane.lock is not None
    text = (dev.CONSTRAINTS / lane.lock).read_text()
    pins = f"; {', '.join(lane.pins)}" if lane.pins else ""
    # A lane whose pins changed without `python3 scripts/lock.py <lane>` fails here.
    assert text.splitlines()[0] == lock.HEADER.format(python=dev.LOCK_PYTHON, pins=pins).strip()
    # The repository's own distributions are installed from the checkout, never pinned, and no line
    # names a path of the machine that wrote it.
    assert not any(line.startswith("-e ") or "file://" in line for line in text.splitlines())
    assert "airflow-glue-flow==" not in text


def test_the_mwaa_lane_locks_mwaas_versions():
    pinned = dev._pinned((dev.CONSTRAINTS / "airflow-3.2.txt").read_text())
    assert (
        pinned["apache-airflow"],
        pinned["apache-airflow-providers-amazon"],
        pinned["apache-airflow-providers-common-messaging"],
    ) == ("3.2.1", "9.25.0", "2.0.3")


def test_the_lowest_lane_locks_the_declared_floors():
    pinned = dev._pinned((dev.CONSTRAINTS / "lowest.txt").read_text())
    assert pinned["apache-airflow"] == "3.1.0"
    assert pinned["apache-airflow-providers-amazon"] == "9.25.0"


def test_pinned_reads_name_and_version_of_each_pin():
    text = "# header\nApache_Airflow==3.1.8     # via x\nzope.interface==7.0\n\nfoo>=1\n"
    assert dev._pinned(text) == {"apache-airflow": "3.1.8", "zope-interface": "7.0"}


def test_failed_tests_are_read_from_the_junit_report(tmp_path):
    report = tmp_path / "r.xml"
    report.write_text(
        '<testsuites><testsuite><testcase classname="tests.a" name="ok"/>'
        '<testcase classname="tests.a" name="bad"><failure message="x"/></testcase>'
        '<testcase classname="tests.b" name="err"><error message="y"/></testcase></testsuite></testsuites>'
    )
    assert dev._failed_tests(report) == ["tests.a::bad", "tests.b::err"]
    assert dev._failed_tests(tmp_path / "missing.xml") == ["(no report: pytest did not run)"]
