"""Interface words for pages and downloads, from the gettext catalogues of :mod:`patentatlas.i18n`.

Templates say ``{{ _('fee_calendar') }}`` (Jinja2's ``jinja2.ext.i18n`` with our gettext, which reads
the language being rendered); Python code that builds a page or a download asks
``translator(lang)`` for the words of one language.
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment

from patentatlas.i18n import LANGS, current_lang, gettext, known, translate

__all__ = ["LANGS", "Words", "install", "translator"]


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
