"""The start page: what the signed-in person can do, by role; and the error page."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, g, redirect, url_for
from werkzeug import Response

from services.web.labels import N_
from services.web.pages import page
from shared.auth import REGIONAL, Principal

blp = Blueprint("home", __name__)


@dataclass(frozen=True)
class Task:
    endpoint: str
    title: str  # a msgid: translated in the template
    roles: tuple[str, ...]
    # only for those holding one of the roles regionally (the hub's views need a regional grant)
    regional: bool = False

    def open_to(self, user: Principal) -> bool:
        if not self.roles:
            return True
        return any(grant.role in self.roles and (not self.regional or grant.scope == REGIONAL)
                   for grant in user.grants)  # fmt: skip


# The order is the order of the working day of each role; the menu shows what a role holds.
TASKS = (
    Task("cases.index", N_("Cases"), ("case_worker", "monitor", "national_admin")),
    Task("cases.new", N_("New case"), ("case_worker",)),
    Task("submissions.index", N_("Institution figures"), ("data_provider", "monitor")),
    Task("submissions.imports", N_("Import a file"), ("data_provider", "case_worker")),
    Task("indicators.dashboard", N_("Indicators"), ("monitor", "reviewer", "national_admin",
                                                    "regional_analyst", "auditor")),
    Task("assessments.index", N_("Assessments"), ("monitor", "reviewer")),
    Task("profiles.index", N_("National profile"), ("national_admin", "monitor")),
    Task("users.index", N_("Users"), ("national_admin", "platform_admin")),
    Task("comparison.index", N_("Regional comparison"),
         ("regional_analyst", "auditor", "platform_admin"), regional=True),
    Task("cycles.index", N_("Monitoring cycle"), ("monitor", "national_admin", "reviewer",
                                                  "data_provider")),
    Task("recommendations.index", N_("Recommendations"), ("monitor", "reviewer",
                                                          "national_admin", "regional_analyst",
                                                          "auditor")),
    Task("reports.index", N_("Reports"), ()),
)  # fmt: skip


def tasks_for_user() -> list[Task]:
    from flask import current_app

    known = set(current_app.view_functions)
    return [task for task in TASKS if task.endpoint in known and task.open_to(g.user)]


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
