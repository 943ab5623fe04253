# One image for the four services and the operator command (national node and hub alike).
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN useradd --system --create-home --home-dir /app actnow
WORKDIR /app
COPY pyproject.toml README.md ./
COPY shared ./shared
COPY services ./services
COPY deploy/gunicorn.conf.py ./deploy/gunicorn.conf.py
RUN pip install --no-cache-dir . && mkdir -p /state /keys && chown actnow /state /keys
USER actnow
ENV PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus GUNICORN_BIND=0.0.0.0:8000
EXPOSE 8000
# the service is chosen by the command, e.g. services.intake.wsgi:app
CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py", "services.identity.wsgi:app"]
