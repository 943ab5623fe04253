"""gunicorn entry point: `gunicorn services.reporting.wsgi:app`."""

from services.reporting.app import create_app

app = create_app()
