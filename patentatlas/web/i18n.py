"""Interface words for pages and downloads, from the gettext catalogues of :mod:`patentatlas.i18n`.

Templates say ``{{ _('fee_calendar') }}`` (Jinja2's ``jinja2.ext.i18n`` with our gettext, which reads
the language being rendered); Python code that builds a page or a download asks
``translator(lang)`` for the words of one language.
"""

from __future__ import annotations

import re
from typing import Any

from jinja2 import Environment

from patentatlas.i18n import LANGS, current_lang, gettext, known, translate

__all__ = ["LANGS", "Words", "form_error_text", "install", "translator"]


class Words:
    """The words of one language, looked up by msgid: ``t.fee_calendar``, ``t["col_" + name]``,
    ``t.get(key, default)``, ``key in t``.

    >>> translator("en")["kind_university"], "kind_university" in translator("zh")
    ('University', True)
    """

    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGS else "zh"

    def __getitem__(self, msgid: str) -> str:
        return gettext(msgid, self.lang)

    def __getattr__(self, msgid: str) -> str:
        if msgid.startswith("__"):
            raise AttributeError(msgid)
        return gettext(msgid, self.lang)

    def __contains__(self, msgid: object) -> bool:
        return isinstance(msgid, str) and known(msgid)

    def get(self, msgid: str, default: Any = None) -> Any:
        return gettext(msgid, self.lang) if known(msgid) else default


def translator(lang: str) -> Words:
    """All words in one language (an unknown language gets Chinese)."""
    return Words(lang)


_NO_DEFAULT: Any = object()


def template_gettext(value: Any, default: Any = _NO_DEFAULT, **args: Any) -> Any:
    """``_()`` in templates: a msgid (with ``{name}`` arguments) or a library :class:`~patentatlas.i18n.Message`
    in the language being rendered; any other value (a name, a number, a code with no word) as it is,
    or ``default`` when one is given (``_('basis_' ~ name, default=name)``)."""
    if isinstance(value, str) and not hasattr(value, "msgid") and known(value):
        return gettext(value, current_lang(), **args)
    if default is not _NO_DEFAULT and not hasattr(value, "msgid"):
        return default
    return translate(value, current_lang())


def template_words(msgids: list[str]) -> dict[str, str]:
    """The words a page's script needs, in the language being rendered: ``{{ words([...]) | tojson }}``."""
    return {k: template_gettext(k) for k in msgids if isinstance(k, str)}


def template_ngettext(singular: str, plural: str, n: int, **args: Any) -> str:
    return gettext(singular if n == 1 else plural, current_lang(), n=n, **args)


def install(env: Environment) -> None:
    """Give ``env`` the i18n extension and our gettext (the language comes from :func:`patentatlas.i18n.language`)."""
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(template_gettext, template_ngettext, newstyle=False)  # type: ignore[attr-defined]
    env.globals["words"] = template_words


# A form's error in the page's language (issue 11 §2): the library's English messages of the main
# forms, matched whole, and the catalogue's msgid that says them; any other "field: reason" gets
# the field's name in the page's language, the reason as the library wrote it.
FORM_ERRORS: tuple[tuple[str, str], ...] = (
    (r"wrong e-mail or password", "err_wrong_credentials"),
    (r"the current password is wrong", "err_wrong_current_password"),
    (r"too many failed sign-ins from here: try again in (?P<minutes>\d+) minutes.*", "err_too_many_sign_ins"),
    (r"(?P<field>\w+): required", "err_required"),
    (r"numbers: choose at least one patent", "err_choose_a_patent"),
    (r"password: at least (?P<n>\d+) characters, please", "err_password_too_short"),
    (r"password: at most (?P<n>\d+) characters, please", "err_password_too_long"),
    (r"password: this is one of the most common passwords; choose another", "err_password_common"),
    (r"password: it must not be your e-mail address", "err_password_is_email"),
    (r"(?P<field>\w+): (?P<value>'.*'|\".*\") is not an e-mail address", "err_not_an_email"),
    (r"(?P<field>\w+): (?P<value>'.*'|\".*\") is not a whole number", "err_not_a_whole_number"),
    (r"(?P<field>\w+): cannot be negative", "err_negative"),
    (r"(?P<field>\w+): (?P<value>'.*'|\".*\") is not an http\(s\) URL", "err_not_a_url"),
    (r"email: a user (?P<email>\S+) already exists", "err_user_exists"),
    (r"region: an analyst needs a known region code, not (?P<value>'.*')", "err_analyst_region"),
    (r"uscc: an enterprise with the credit code (?P<uscc>\S+) is already registered", "err_uscc_registered"),
    (r"application (?P<number>\S+) is not in the store: import it first", "err_not_in_store"),
    (r"the form's security token \(CSRF\) is missing or wrong.*", "err_csrf"),
)


def form_error_text(message: str, lang: str) -> str:
    """A form's error message in the page's language.

    >>> form_error_text("employees: 'abc' is not a whole number", "zh")
    "员工人数：'abc' 不是整数"
    >>> form_error_text("employees: 'abc' is not a whole number", "en")
    "Employees: 'abc' is not a whole number"
    """
    for pattern, msgid in FORM_ERRORS:
        if (found := re.fullmatch(pattern, message, flags=re.S)) is not None:
            args = found.groupdict()
            if "field" in args:
                args["field"] = _field_name(args["field"], lang)
            return gettext(msgid, lang, **args)
    field, sep, reason = message.partition(": ")
    if sep and known(field):
        return gettext("err_field", lang, field=gettext(field, lang), reason=reason)
    return message


def _field_name(field: str, lang: str) -> str:
    return gettext(field, lang) if known(field) else field
