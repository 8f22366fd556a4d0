# news-monitor: `monitor run` as a non-root user; the database lives on the /data volume.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY monitor ./monitor
RUN pip install --no-cache-dir /app \
    && useradd --system --uid 10001 --no-create-home --home-dir /data monitor \
    && mkdir -p /data /etc/news-monitor \
    && chown monitor /data

# The shipped config; mount your own over it or point MONITOR_CONFIG elsewhere.
COPY config.yaml /etc/news-monitor/config.yaml
ENV MONITOR_CONFIG=/etc/news-monitor/config.yaml \
    MONITOR_DATABASE=/data/monitor.db

VOLUME ["/data"]
WORKDIR /data
USER 10001
CMD ["monitor", "run"]
