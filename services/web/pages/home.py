"""The start page: what the signed-in person can do, by role; and the error page."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, g, redirect, url_for
from werkzeug import Response

from services.web.pages import page

blp = Blueprint("home", __name__)


@dataclass(frozen=True)
class Task:
    endpoint: str
    title: str  # a msgid: translated in the template
    roles: tuple[str, ...]


# The order is the order of the working day of each role; the menu shows what a role holds.
TASKS = (
    Task("cases.index", "Cases", ("case_worker", "monitor", "national_admin")),
    Task("cases.new", "New case", ("case_worker",)),
    Task("submissions.index", "Institution figures", ("data_provider", "monitor")),
    Task("submissions.imports", "Import a file", ("data_provider", "case_worker")),
    Task("indicators.dashboard", "Indicators", ("monitor", "reviewer", "national_admin",
                                                "regional_analyst", "auditor")),
    Task("assessments.index", "Assessments", ("monitor", "reviewer")),
    Task("profiles.index", "National profile", ("national_admin", "monitor")),
    Task("users.index", "Users", ("national_admin", "platform_admin")),
    Task("comparison.index", "Regional comparison", ("regional_analyst", "monitor",
                                                      "national_admin", "auditor")),
    Task("cycles.index", "Monitoring cycle", ("monitor", "national_admin", "reviewer",
                                               "data_provider")),
    Task("recommendations.index", "Recommendations", ("monitor", "reviewer", "national_admin",
                                                      "regional_analyst", "auditor")),
    Task("reports.index", "Reports", ()),
)  # fmt: skip


def tasks_for_user() -> list[Task]:
    from flask import current_app

    known = set(current_app.view_functions)
    return [task for task in TASKS if task.endpoint in known
            and (not task.roles or g.user.has_role(*task.roles))]  # fmt: skip


@blp.app_context_processor
def menu() -> dict:
    return {"menu": tasks_for_user() if g.get("user") is not None else []}


@blp.route("/")
def index() -> Response | str:
    if g.user is None:
        return redirect(url_for("signin.login"))
    return page("home/index.html", tasks=tasks_for_user())


def error_page(status: int, detail: str) -> tuple[str, int]:
    return page("home/error.html", status=status, detail=detail), status
