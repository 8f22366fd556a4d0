# news-monitor: `monitor run` as a non-root user; the database lives on the /data volume.

# Build stage: the full image has the C compiler that the matcher's compiled modules need
# (setup.py, monitor/compiled.py); the slim image below gets the finished wheel. Same
# Python and Debian release in both, so the extension modules fit the runtime.
FROM python:3.11-bookworm AS build
WORKDIR /src
COPY pyproject.toml setup.py README.md ./
COPY monitor ./monitor
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
# Dependencies first, pinned with hashes (requirements.lock, made by pip-compile from
# pyproject.toml): the same versions in every image, and a cached layer while only the
# code changes. The project's wheel is then installed without resolving anything, and
# the build stops if its matcher modules are not the compiled ones.
COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements.lock
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-deps /wheels/*.whl \
    && rm -rf /wheels \
    && python -c "from monitor.compiled import MODULES, compiled_modules; assert compiled_modules() == list(MODULES)" \
    && useradd --system --uid 10001 --no-create-home --home-dir /data monitor \
    && mkdir -p /data /etc/news-monitor \
    && chown monitor /data

# The shipped config; mount your own over it or point MONITOR_CONFIG elsewhere.
COPY config.yaml /etc/news-monitor/config.yaml
# The status endpoint listens inside the container only (the shipped config reads
# MONITOR_STATUS_LISTEN; unset elsewhere, it is off): HEALTHCHECK asks /healthz. To reach
# it from the host, run with -e MONITOR_STATUS_LISTEN=0.0.0.0:8321 -p 127.0.0.1:8321:8321.
ENV MONITOR_CONFIG=/etc/news-monitor/config.yaml \
    MONITOR_DATABASE=/data/monitor.db \
    MONITOR_STATUS_LISTEN=127.0.0.1:8321
EXPOSE 8321

VOLUME ["/data"]
WORKDIR /data
USER 10001
# Slim images have no curl: urlopen raises (exit 1) on 503 or no answer. The port is the
# one MONITOR_STATUS_LISTEN names, whichever address it listens on.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; port = os.environ['MONITOR_STATUS_LISTEN'].rpartition(':')[2]; urllib.request.urlopen(f'http://127.0.0.1:{port}/healthz', timeout=8)"]
# SIGTERM lets running polls finish (20 s grace): give `docker stop` more than that,
# e.g. `docker stop -t 30` or `docker run --stop-timeout 30`.
STOPSIGNAL SIGTERM
CMD ["monitor", "run"]
