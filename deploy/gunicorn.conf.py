"""gunicorn settings shared by the four services (local stack and containers alike)."""

import os

from prometheus_client import multiprocess

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 10
# GUNICORN_ACCESSLOG="" turns the access log off (benchmarks)
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# clients (kafka-python, psycopg pools) are created in each worker after the fork
preload_app = False
# PROMETHEUS_MULTIPROC_DIR is emptied by whoever starts the service (the stack, a fresh
# container): the service's worker process writes its samples there too.


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
