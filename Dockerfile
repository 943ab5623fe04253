# One image for the four services and the operator command (national node and hub alike).
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
# two glibc malloc arenas, not one per thread (up to 8 per core): a worker runs ~50 threads and
# the free space each arena keeps after a burst adds up (issue 10: the indicators worker's heap
# went 38 -> 50 MB in 5 minutes of bench/load.py, 25 -> 31 MB with two); as shared/stack does
ENV MALLOC_ARENA_MAX=2
# WeasyPrint (PDF reports) draws text with Pango and subsets fonts with HarfBuzz; a report's PDF
# re-renders byte for byte only with the same libraries and fonts, i.e. in the same image
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
       libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --system --create-home --home-dir /app actnow
WORKDIR /app
COPY pyproject.toml README.md ./
COPY shared ./shared
COPY services ./services
COPY deploy/gunicorn.conf.py ./deploy/gunicorn.conf.py
# the samples folder must exist before the first metric is touched (compose mounts a tmpfs
# volume there that a service shares with its worker; a fresh container starts it empty)
ENV PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus GUNICORN_BIND=0.0.0.0:8000
# the image's own pip and setuptools upgraded too: no copy older than their advisories' fixes
RUN pip install --no-cache-dir --upgrade pip setuptools \
    && pip install --no-cache-dir . \
    && mkdir -p /state /keys "$PROMETHEUS_MULTIPROC_DIR" \
    && chown actnow /state /keys "$PROMETHEUS_MULTIPROC_DIR"
USER actnow
EXPOSE 8000
# the service is chosen by the command, e.g. services.intake.wsgi:app
CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py", "services.identity.wsgi:app"]
