"""Reports: the list everyone signed in sees (published reports in their scope, drafts for
the roles that write and review them), one report with its basis, narrative and outputs, the
workflow steps the reader may take, and the verification an auditor runs.

The reporting service decides who may do what; the buttons shown come from the same pure
decisions of its workflow (`services.reporting.workflow`), so a page never offers what the
service would refuse, and the service still checks every call."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, g, redirect, request, url_for
from werkzeug.exceptions import NotFound

from services.reporting import workflow
from services.reporting.events import KINDS, SECTIONS
from services.web.backend import Answer, ServiceError
from services.web.forms import Choice, FieldSpec
from services.web.labels import N_
from services.web.pages import call, get, page, signed_in
from shared.auth import Principal
from shared.errors import Problem

blp = Blueprint("reports", __name__, url_prefix="/reports")

FORMATS = ("html", "pdf", "csv", "xlsx", "json")
FORMAT_LABELS = {"html": "HTML", "pdf": "PDF", "csv": "CSV", "xlsx": "Excel (XLSX)",
                 "json": "JSON"}  # fmt: skip
STATUS_LABELS = {
    "draft": N_("Draft"), "in_review": N_("In review"), "returned": N_("Returned"),
    "approved": N_("Approved"), "published": N_("Published"),
}  # fmt: skip
SECTION_LABELS = {
    "summary": N_("Summary"), "conclusions": N_("Conclusions"),
    "recommendations": N_("Recommendations"), "good_practices": N_("Good practices"),
}  # fmt: skip
# an outputs' own page: the published HTML carries its print styles inline and no script
OUTPUT_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none';"
    " form-action 'none'; frame-ancestors 'none'; sandbox"
)


# --- what the reader may do (pure) ----------------------------------------------------------
@dataclass(frozen=True)
class Action:
    name: str  # in the URL of the form
    path: str  # the reporting API's command, under /api/v1/reports/<id>
    fields: tuple[str, ...]  # what the form sends
    title: str  # a msgid


ACTIONS = (
    Action("submit", "submission", (), N_("Submit for review")),
    Action("comment", "comments", ("section", "comment"), N_("Comment")),
    Action("return", "return", ("reason",), N_("Return to the authors")),
    Action("approve", "approval", (), N_("Approve")),
    Action("publish", "publication", (), N_("Publish")),
    Action("correct", "corrections", ("reason",), N_("Start a correction")),
)
BY_NAME = {action.name: action for action in ACTIONS}
_PLACEHOLDER = "-"  # stands in for a text the reader has not typed yet

Trial = Callable[[Principal, workflow.Report], object]
TRIALS: dict[str, Trial] = {
    "submit": lambda p, r: workflow.submit(p, r),
    "comment": lambda p, r: workflow.comment(p, r, SECTIONS[0], _PLACEHOLDER),
    "return": lambda p, r: workflow.send_back(p, r, _PLACEHOLDER),
    "approve": lambda p, r: workflow.approve(p, r),
    "publish": lambda p, r: workflow.check_publishable(p, r),
    "correct": lambda p, r: workflow.correct(p, r, _PLACEHOLDER),
}


def report_state(body: dict[str, Any]) -> workflow.Report:
    """The workflow's view of a report as the API returned it."""
    return workflow.Report(body["report_id"], body["kind"], body.get("country"), body["period"],
                           body["title"], int(body["version"]), body["status"],
                           body.get("drafted_by") or "")  # fmt: skip


def actions_for(principal: Principal, body: dict[str, Any]) -> list[Action]:
    """The workflow steps the service would take from this person on this report now."""
    state = report_state(body)
    allowed = []
    for action in ACTIONS:
        try:
            TRIALS[action.name](principal, state)
        except Problem:
            continue
        allowed.append(action)
    return allowed


def sorted_reports(reports: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Newest period first; the regional report before the national ones of its period."""
    return sorted(reports, key=lambda r: (-int(r["period"]), r["kind"] != "regional",
                                          r.get("country") or "", r["title"]))  # fmt: skip


def latest_publication(body: dict[str, Any]) -> dict[str, Any] | None:
    published = body.get("published") or []
    return published[-1] if published else None


# --- the verification's steps, in words (pure) ----------------------------------------------
STEP_LABELS = {
    "published": N_("A published version exists"),
    "signature": N_("The publication's signature"),
    "checkpoint": N_("The signed checkpoint of %(log)s"),
    "consistency": N_("The log %(log)s only grew since"),
    "log": N_("The log %(log)s recomputes"),
    "replay": N_("Replay of %(log)s from Kafka"),
    "re-render": N_("Every output re-rendered from the basis"),
    "stored outputs": N_("The stored files match the signed hashes"),
}


def step_label(name: str) -> tuple[str, str]:
    """The msgid naming a verification step and the log it is about ("" if none): the
    service names steps "<kind>" or "<kind> <origin>"."""
    if name in STEP_LABELS:
        return STEP_LABELS[name], ""
    kind, _, log = name.partition(" ")
    if kind in STEP_LABELS and log:
        return STEP_LABELS[kind], log
    return name, ""


# --- pages ----------------------------------------------------------------------------------
@blp.route("/")
@signed_in()
def index() -> str:
    country = request.args.get("country") or None
    kind = request.args.get("kind") if request.args.get("kind") in KINDS else None
    readable = get("reporting", "/api/v1/reports")  # few: filtered here, to offer what exists
    shown = [r for r in readable if (country is None or r.get("country") == country)
             and (kind is None or r["kind"] == kind)]  # fmt: skip
    countries = sorted({r["country"] for r in readable if r.get("country")})
    return page("reports/index.html", reports=sorted_reports(shown), country=country,
                kind=kind, countries=countries, status_labels=STATUS_LABELS)  # fmt: skip


@blp.route("/<report_id>")
@signed_in()
def show(report_id: str) -> str:
    body, tag = _report(report_id)
    return _show(body, tag)


def _show(body: dict[str, Any], tag: str, failed: str = "", errors: dict[str, str] | None = None,
          values: dict[str, str] | None = None) -> str:  # fmt: skip
    actions = actions_for(g.user, body)
    return page("reports/show.html", report=body, etag=tag, actions=actions,
                specs={a.name: action_form(a) for a in actions}, failed=failed,
                errors=errors or {}, values=values or {}, formats=FORMATS,
                format_labels=FORMAT_LABELS, status_labels=STATUS_LABELS,
                section_labels=SECTION_LABELS, latest=latest_publication(body))  # fmt: skip


def action_form(action: Action) -> list[FieldSpec]:
    _t = g.translations.gettext  # the name `make translations` extracts
    sections = tuple(Choice(s, _t(SECTION_LABELS[s])) for s in SECTIONS)
    specs = {
        "section": FieldSpec("section", _t("Section"), "select", True, sections),
        "comment": FieldSpec("comment", _t("Comment"), "textarea", True),
        "reason": FieldSpec("reason", _t("Reason"), "textarea", True),
    }
    return [specs[name] for name in action.fields]


@blp.route("/<report_id>/steps/<action>", methods=["POST"])
@signed_in()
def act(report_id: str, action: str) -> Response | str | tuple[str, int]:
    chosen = BY_NAME.get(action)
    if chosen is None:
        raise NotFound()
    sent = {name: request.form.get(name, "").strip() for name in chosen.fields}
    body = {name: value for name, value in sent.items() if value}
    tag = request.form.get("etag", "")
    try:
        call("reporting", "POST", f"/api/v1/reports/{report_id}/{chosen.path}",
             json=body, headers={"If-Match": tag} if tag else None)  # fmt: skip
    except ServiceError as error:
        if error.status not in (400, 403, 409, 412, 422):
            raise
        current, current_tag = _report(report_id)
        return _show(current, current_tag, action, _errors(error), sent), 422
    return redirect(url_for("reports.show", report_id=report_id, done=action))


def _errors(error: ServiceError) -> dict[str, str]:
    if error.status == 412:
        return {"form": g.translations.gettext(
            "Someone changed this report meanwhile. Look at it again and retry.")}  # fmt: skip
    found = {k: v for k, v in error.field_errors().items() if k != "status"}
    return found or {"form": error.detail}


@blp.route("/<report_id>/versions/<int:version>/<fmt>")
@signed_in()
def output(report_id: str, version: int, fmt: str) -> Response:
    """A published output, byte for byte as the reporting service keeps it."""
    if fmt not in FORMATS:
        raise NotFound()
    answer = _answer(f"/api/v1/reports/{report_id}/versions/{version}/{fmt}")
    response = Response(answer.content, status=200)
    response.headers["Content-Type"] = answer.headers.get(
        "Content-Type", "application/octet-stream"
    )
    disposition = answer.headers.get("Content-Disposition")
    if disposition:
        response.headers["Content-Disposition"] = disposition
    response.headers["Content-Security-Policy"] = OUTPUT_POLICY
    return response


VERIFICATION_TIMEOUT = 600.0


@blp.route("/<report_id>/verification", methods=["GET", "POST"])
@signed_in()
def verify(report_id: str) -> str:
    """Runs the verification when asked (a form post): it replays the pinned logs from Kafka,
    which takes some seconds, so opening the page does not start it."""
    body, _ = _report(report_id)
    result, failure = None, ""
    if request.method == "POST":
        try:
            # replaying a country's whole history from Kafka can take minutes on a busy node
            result = call(
                "reporting",
                "GET",
                f"/api/v1/reports/{report_id}/verification",
                timeout=VERIFICATION_TIMEOUT,
            ).body
        except ServiceError as error:
            if error.status < 500:
                raise
            failure = error.detail  # it could not run: that is no verdict either way
    return page("reports/verify.html", report=body, result=result, failure=failure,
                step_label=step_label, latest=latest_publication(body))  # fmt: skip


def _report(report_id: str) -> tuple[dict[str, Any], str]:
    answer = _answer(f"/api/v1/reports/{report_id}")
    return answer.body, answer.headers.get("ETag", "")


def _answer(path: str) -> Answer:
    try:
        return call("reporting", "GET", path)
    except ServiceError as error:
        if error.status == 404:
            raise NotFound() from error
        raise
