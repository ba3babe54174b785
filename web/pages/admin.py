"""The admins' pages: registering nodes and managing their API keys, reset links for
people, and the audit log.

A node is registered as ``gotong node add`` registers it (``services.ingest.registration``)
and its keys are rotated and revoked with the functions the command line uses
(``services.identity.keys``); every change is audited (``services.identity.audit``).
A key or a link is shown once, in the answer to the form that made it, never stored.
"""

from __future__ import annotations

import asyncio
import datetime as dt

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.identity import audit, links
from services.identity.accounts import CurrentUser, people
from services.identity.keys import keys_of, live_key_counts, revoke_keys, rotate_key
from services.identity.rules import RESET_HOURS, may_manage_nodes
from services.ingest.publish import NotPublished
from services.ingest.registration import (
    NODE_KINDS,
    RegistrationRefused,
    register,
    registration,
)
from services.readmodel.tables import Node
from web.forms import Forbidden, current_user, login_redirect, require_user, see_other
from web.i18n import gettext as _
from web.posting import projected
from web.queries.board import node_names
from web.queries.filters import whole_number
from web.security import form_post, text
from web.templating import templates

#: how long a node's old keys keep working after a rotation, as the form offers it
GRACE = {"1h": dt.timedelta(hours=1), "24h": dt.timedelta(hours=24),
         "7d": dt.timedelta(days=7)}
NO_STORE = {"Cache-Control": "no-store"}


def require_admin(request: Request) -> CurrentUser:
    user = require_user(request)
    if not may_manage_nodes(user):
        raise Forbidden(_("Only the service's admins may do this: register nodes, manage "
                          "their API keys, make reset links and read the audit log."))
    return user


def _kinds() -> list[tuple[str, str]]:
    labels = {"government": _("Government"), "ngo": _("NGO (LSM)"),
              "community": _("Community group")}
    return [(kind, labels[kind]) for kind in NODE_KINDS]


async def _nodes_page(request: Request, values: dict[str, str], errors: dict[str, str],
                      status_code: int = 200) -> Response:
    engine = request.app.state.engine
    names = await asyncio.to_thread(node_names, engine)
    counts = await asyncio.to_thread(live_key_counts, engine)
    return templates.TemplateResponse(request, "admin_nodes.html", {
        "nodes": sorted(names.items(), key=lambda item: item[1].casefold()),
        "counts": counts, "kinds": _kinds(), "values": {"kind": "community", **values},
        "errors": errors,
    }, status_code=status_code)


async def nodes(request: Request) -> Response:
    if current_user(request) is None:
        return login_redirect(request)
    require_admin(request)
    return await _nodes_page(request, {}, {})


@form_post
async def register_node(request: Request, form: FormData) -> Response:
    user = require_admin(request)
    values = {name: text(form, name) for name in ("node_id", "kind", "name", "description",
                                                   "contact")}
    values["node_id"] = values["node_id"].lower()
    state = request.app.state
    errors: dict[str, str] = {}
    if not values["node_id"]:
        errors["node_id"] = _("Enter the node's id.")
    if not values["name"]:
        errors["name"] = _("Enter the node's name.")
    if values["kind"] not in NODE_KINDS:
        errors["kind"] = _("Choose a kind.")
    if errors:
        return await _nodes_page(request, values, errors, 400)
    try:
        event = registration(state.validator, values["node_id"], kind=values["kind"],
                             name=values["name"], description=values["description"] or None,
                             contact=values["contact"] or None)
        key = await register(state.engine, state.producer, event,
                             state.settings.publish_timeout_s)
    except RegistrationRefused as exc:
        return await _nodes_page(request, values, {
            field: _node_error(field, why) for field, why in exc.errors.items()}, 400)
    except NotPublished:
        return templates.TemplateResponse(request, "error.html", {"status_code": 503},
                                          status_code=503, headers={"Retry-After": "5"})
    await asyncio.to_thread(audit.record, state.engine, user.username, "node_registered",
                            values["node_id"], node_id=values["node_id"], detail=values["kind"])
    shown = await projected(request, Node, values["node_id"], 0)
    return _key_page(request, values["node_id"], key, pending=not shown,
                     lead=_("The node %(node)s is registered. Give this API key to the "
                            "people who run its systems: it is shown only now, and the site "
                            "keeps only a fingerprint of it.") % {"node": values["name"]})


def _node_error(field: str, why: str) -> str:
    if "already has an API key" in why:
        return _("This node is registered already: choose another id, or rotate its key.")
    if field == "node_id":
        return _("A node id has lowercase letters, digits and '-' (for example "
                 "kelompok-tani-maesa), and is not the service's own.")
    return _("This value is not accepted: %(why)s") % {"why": why}


def _key_page(request: Request, node_id: str, key: str, *, lead: str,
              pending: bool = False) -> Response:
    return templates.TemplateResponse(request, "shown_once.html", {
        "title": _("API key"), "lead": lead, "label": _("API key"), "value": key,
        "pending": pending,
        "back": str(request.url_for("admin_node", id=node_id)),
        "back_label": _("The node's keys"),
    }, headers=NO_STORE)


async def _node_page(request: Request, node_id: str, notice: str | None = None) -> Response:
    engine = request.app.state.engine
    keys = await asyncio.to_thread(keys_of, engine, node_id)
    names = await asyncio.to_thread(node_names, engine)
    if not keys and node_id not in names:
        return templates.TemplateResponse(request, "error.html", {"status_code": 404},
                                          status_code=404)
    return templates.TemplateResponse(request, "admin_node.html", {
        "node_id": node_id, "node_name": names.get(node_id, node_id), "keys": keys,
        "live": sum(1 for k in keys if k.live), "grace": list(GRACE), "notice": notice,
    })


async def node(request: Request) -> Response:
    if current_user(request) is None:
        return login_redirect(request)
    require_admin(request)
    revoked = request.query_params.get("revoked")
    return await _node_page(request, request.path_params["id"],
                            _("Every key of this node is revoked.") if revoked else None)


@form_post
async def rotate(request: Request, form: FormData) -> Response:
    user = require_admin(request)
    node_id = request.path_params["id"]
    grace = GRACE.get(text(form, "grace"), GRACE["24h"])
    engine = request.app.state.engine
    try:
        key, until = await asyncio.to_thread(rotate_key, engine, node_id, grace)
    except (LookupError, ValueError):
        return await _node_page(request, node_id, _(
            "This node has no valid API key to rotate. Register it, or ask the command "
            "line's operator."))
    await asyncio.to_thread(audit.record, engine, user.username, "key_rotated", node_id,
                            node_id=node_id, detail=f"old keys until {until}")
    return _key_page(request, node_id, key, lead=_(
        "A new API key for %(node)s. Its previous keys keep working until %(until)s, so its "
        "systems can switch over; the new key is shown only now.") % {
            "node": node_id, "until": until})


@form_post
async def revoke(request: Request, form: FormData) -> Response:
    user = require_admin(request)
    node_id = request.path_params["id"]
    engine = request.app.state.engine
    count = await asyncio.to_thread(revoke_keys, engine, node_id)
    if count:
        await asyncio.to_thread(audit.record, engine, user.username, "keys_revoked", node_id,
                                node_id=node_id, detail=f"{count} key(s)")
    return see_other(str(request.url_for("admin_node", id=node_id)) + "?revoked=1")


async def people_page(request: Request) -> Response:
    if current_user(request) is None:
        return login_redirect(request)
    require_admin(request)
    engine = request.app.state.engine
    found = await asyncio.to_thread(people, engine)
    names = await asyncio.to_thread(node_names, engine)
    return templates.TemplateResponse(request, "admin_people.html", {
        "people": found, "names": names,
        "roles": {"member": _("Member"), "coordinator": _("Coordinator"),
                  "admin": _("Administrator")},
    })


@form_post
async def make_reset(request: Request, form: FormData) -> Response:
    user = require_admin(request)
    username = request.path_params["username"]
    try:
        token = await asyncio.to_thread(links.create_reset, request.app.state.engine, user,
                                        username)
    except LookupError:
        return templates.TemplateResponse(request, "error.html", {"status_code": 404},
                                          status_code=404)
    return templates.TemplateResponse(request, "shown_once.html", {
        "title": _("Password reset link"),
        "lead": _("Give this link to %(person)s yourself (by a message only they read): it "
                  "lets them choose a new password, once, within %(hours)d hours, and signs "
                  "them out everywhere.") % {"person": username, "hours": RESET_HOURS},
        "label": _("Password reset link"),
        "value": str(request.url_for("reset", token=token)),
        "back": str(request.url_for("admin_people")), "back_label": _("Back to people"),
    }, headers=NO_STORE)


async def audit_log(request: Request) -> Response:
    if current_user(request) is None:
        return login_redirect(request)
    require_admin(request)
    raw = request.query_params.get("before", "")
    before = whole_number(raw)
    page = await asyncio.to_thread(audit.entries, request.app.state.engine, 50, before)
    return templates.TemplateResponse(request, "admin_audit.html", {"page": page})


routes = [
    Route("/admin/nodes", nodes, name="admin_nodes"),
    Route("/admin/nodes", register_node, methods=["POST"], name="register_node"),
    Route("/admin/nodes/{id}", node, name="admin_node"),
    Route("/admin/nodes/{id}/rotate", rotate, methods=["POST"], name="rotate_key"),
    Route("/admin/nodes/{id}/revoke", revoke, methods=["POST"], name="revoke_keys"),
    Route("/admin/people", people_page, name="admin_people"),
    Route("/admin/people/{username}/reset", make_reset, methods=["POST"], name="make_reset"),
    Route("/admin/audit", audit_log, name="admin_audit"),
]
