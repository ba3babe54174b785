"""axe-core (the npm package, run inside each page) finds no WCAG 2.1 A/AA violation on
any page, in both languages, signed out and signed in."""

from __future__ import annotations

from typing import Any

import pytest

from services.identity import links
from services.identity.accounts import CurrentUser
from services.notify.mail import unsubscribe_token
from services.settings import REPO_ROOT
from tests.browser.conftest import log_in
from tests.support.stack import SECRET, Stack

pytestmark = pytest.mark.kafka

#: installed by ./run-tests (deploy/test-tools.sh) from the npm registry
AXE = REPO_ROOT / ".cache" / "axe" / "node_modules" / "axe-core" / "axe.min.js"

MAESA = "forum-ekonomi-maesa"
MENJAHIT = "usulan-pelatihan-menjahit-bitung-tengah"
PAGES = ["/", f"/forums/{MAESA}", f"/proposals/{MENJAHIT}", "/meetings/musyawarah-maesa-2026-03",
         "/commitments", "/commitments/rtl-instruktur-mesin-jahit-angkatan-1",
         # open and owned by the coordinator's node: its progress, status and owner forms
         "/commitments/rtl-bantuan-transport-anak-nelayan",
         "/nodes/dinsos-bitung", "/programs", "/programs/pelatihan-keterampilan-perempuan",
         "/search?q=pelatihan+menjahit",
         # the unsubscribe link of a mail (its confirmation, for whoever opens it)
         f"/unsubscribe/{unsubscribe_token(SECRET.encode(), 'ani')}",
         "/login", "/no-such-page"]
SIGNED_IN = ["/account", "/notifications", "/invites", f"/forums/{MAESA}/proposals/new",
             f"/forums/{MAESA}/meetings/new",
             "/meetings/musyawarah-maesa-2026-03/minutes",
             "/meetings/musyawarah-maesa-2026-03/action-items/new?decision=0"]
#: an admin's pages (a coordinator meets their 403, which is checked below)
ADMIN = ["/admin/nodes", "/admin/nodes/dinsos-bitung", "/admin/people", "/admin/audit",
         # a moderator's: the flags list, and a thread with the hide and restore forms
         "/moderation", f"/proposals/{MENJAHIT}"]
RULES = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def _violations(tab: Any) -> list[str]:
    if not tab.evaluate("typeof axe !== 'undefined'"):
        # evaluated through the DevTools protocol: the pages' CSP forbids injected scripts
        tab.evaluate(AXE.read_text(encoding="utf-8"))
    found = tab.evaluate("options => axe.run(document, options)", RULES)["violations"]
    return [f"{v['id']} ({v['impact']}): {v['help']} at "
            f"{[n['target'] for n in v['nodes']][:3]}" for v in found]


@pytest.mark.parametrize("signed_in", [False, True], ids=["visitor", "coordinator"])
@pytest.mark.parametrize("locale", ["id-ID", "en-US"])
def test_every_page_passes_axe(browser: Any, site_url: str, locale: str,
                               signed_in: bool) -> None:
    assert AXE.exists(), f"{AXE} is missing: ./run-tests installs it (deploy/test-tools.sh)"
    context = browser.new_context(base_url=site_url, viewport={"width": 390, "height": 844},
                                  locale=locale)
    problems: dict[str, list[str]] = {}
    try:
        tab = context.new_page()
        paths = PAGES
        if signed_in:
            log_in(tab, "hendra")
            paths = PAGES[:-2] + SIGNED_IN
        for path in paths:
            tab.goto(path)
            found = _violations(tab)
            if found:
                problems[path] = found
        # axe really runs: an image without a text alternative is found
        tab.evaluate("document.querySelector('main').append(document.createElement('img'))")
        assert any(v.startswith("image-alt") for v in _violations(tab))
    finally:
        context.close()
    assert not problems, problems


@pytest.mark.parametrize("locale", ["id-ID", "en-US"])
def test_the_refusal_pages_pass_axe_and_say_what_to_do(browser: Any, site_url: str,
                                                       locale: str) -> None:
    """A member who opens a coordinator's form (403), and a text past the limit (413)
    that the field's own limit would have stopped, meet pages as accessible as the rest."""
    context = browser.new_context(base_url=site_url, viewport={"width": 390, "height": 844},
                                  locale=locale)
    try:
        tab = context.new_page()
        log_in(tab, "ani")
        refused = tab.goto(f"/forums/{MAESA}/meetings/new")
        assert refused is not None and refused.status == 403
        said = tab.locator("main").inner_text()
        assert ("koordinator" in said) if locale == "id-ID" else ("coordinator" in said), said
        assert not _violations(tab), _violations(tab)

        tab.goto(f"/proposals/{MENJAHIT}")
        tab.evaluate("document.querySelector('#body').removeAttribute('maxlength')")
        tab.fill("#body", "panjang " * 40_000)  # 320 kB: past the site's 256 kB
        with tab.expect_navigation() as sent:
            tab.locator("#body").evaluate("box => box.form.requestSubmit()")
        assert sent.value is not None and sent.value.status == 413
        said = tab.locator("main").inner_text()
        assert ("20.000" in said) if locale == "id-ID" else ("20,000" in said), said
        assert not _violations(tab), _violations(tab)
    finally:
        context.close()


@pytest.mark.parametrize("locale", ["id-ID", "en-US"])
def test_the_account_and_admin_pages_pass_axe(browser: Any, site_url: str, stack: Stack,
                                              locale: str) -> None:
    """An admin's pages, a key or link shown once, an invite's and a reset link's page,
    a used link, and a coordinator refused an admin page."""
    admin = CurrentUser("admin-uji", "Admin Bappeda", "bappeda-bitung", "admin")
    invite = links.create_invite(stack.engine, admin, "dinsos-bitung", "member")
    reset = links.create_reset(stack.engine, admin, "ani")
    context = browser.new_context(base_url=site_url, viewport={"width": 390, "height": 844},
                                  locale=locale)
    problems: dict[str, list[str]] = {}
    try:
        tab = context.new_page()
        for path in (f"/invites/{invite}", f"/reset/{reset}", "/invites/no-such-link"):
            tab.goto(path)
            problems[path] = _violations(tab)
        log_in(tab, "admin-uji")
        for path in ADMIN:
            tab.goto(path)
            problems[path] = _violations(tab)
        tab.goto("/invites")
        tab.locator("form.card button[type=submit]").click()
        tab.wait_for_selector("#secret")
        problems["invite link shown"] = _violations(tab)
        log_in(tab, "hendra")
        refused = tab.goto("/admin/nodes")
        assert refused is not None and refused.status == 403
        problems["403"] = _violations(tab)
    finally:
        context.close()
    assert not any(problems.values()), problems
