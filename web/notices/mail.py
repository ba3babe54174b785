"""Notification mail in words: subject, plain text and HTML, in the person's language.

The worker (``services.notify.mailer``) sends; this renders, with the site's own
templates and catalogs (``templates/mail/``), handed to the worker by ``gotong worker``.
"""

from __future__ import annotations

import jinja2

from services.notify.store import Letter
from services.settings import get as get_settings
from web import i18n
from web.i18n import gettext as _
from web.i18n import ngettext
from web.notices.words import excerpt, path, sentence
from web.templating import TEMPLATES, make_environment

_html = make_environment()
_text = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=False,
                           extensions=["jinja2.ext.i18n"], trim_blocks=True,
                           lstrip_blocks=True, keep_trailing_newline=True)
_text.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
_text.filters.update(_html.filters)


def render(letter: Letter, unsubscribe_url: str, public_url: str) -> tuple[str, str, str]:
    locale = letter.locale if letter.locale in i18n.LOCALES else i18n.DEFAULT_LOCALE
    token = i18n.current.set(locale)
    zone = i18n.timezone.set(get_settings().timezone)
    try:
        items = [{"sentence": sentence(n.what, n.params or {}),
                  "excerpt": excerpt(n.params or {}),
                  "url": public_url + path(n.kind, n.target_id, n.anchor), "at": n.at}
                 for n in letter.notifications]
        if len(items) == 1:
            subject = items[0]["sentence"]
        else:
            subject = ngettext("%(num)d new notification on Gotong",
                               "%(num)d new notifications on Gotong", len(items)) % {
                "num": len(items)}
        context = {"name": letter.name, "items": items, "locale": locale,
                   "unsubscribe_url": unsubscribe_url,
                   "notifications_url": public_url + "/notifications",
                   "account_url": public_url + "/account#mail",
                   "title": _("Notifications")}
        text = _text.get_template("mail/notifications.txt").render(context)
        html = _html.get_template("mail/notifications.html").render(context)
    finally:
        i18n.current.reset(token)
        i18n.timezone.reset(zone)
    return subject, text, html
