"""Interface words from gettext message catalogues (Babel): Simplified Chinese by default, English.

The catalogues are ``patentatlas/locale/{zh,en}/LC_MESSAGES/messages.po``, read once at start-up
with Babel (no compile step: a fresh clone runs as it is). A msgid is a stable key such as
``fee_calendar`` or ``col_fees_at_risk``, not source text: pages look words up by a domain code
(``kind_`` + an applicant kind), and one Chinese word can need two English ones.

>>> gettext("fee_calendar", "zh"), gettext("fee_calendar", "en")
('年费日历', 'Fee calendar')
>>> gettext("gw_showing_first", "en", n=200)
'Showing the first 200; download the full list'

The library's own texts that a page shows (a data note, a high-value reason) are :class:`Message`
values: the English text as a string (what the JSON API and the CLI print), with the msgid and its
arguments kept, so that a page translates them into its language.

>>> note = message("note_no_reduction_declared")
>>> str(note), translate(note, "zh")
('No fee reduction declared: full amounts shown.', '未申报费减资格，金额按全额计算。')
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from gettext import GNUTranslations, NullTranslations
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"

_current: ContextVar[str] = ContextVar("patentatlas_lang", default=DEFAULT_LANG)


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def catalog(lang: str) -> Catalog:
    """The language's catalogue as Babel reads it from its .po file."""
    with po_path(lang).open("rb") as po:
        return read_po(po, locale="zh_Hans_CN" if lang == "zh" else lang, domain=DOMAIN)


@cache
def translations(lang: str) -> NullTranslations:
    """gettext translations for ``lang`` (an unknown language gets Chinese); English falls back to
    Chinese, and Chinese to the msgid, so a word missing from a catalogue never breaks a page
    (tests/test_i18n.py fails on one)."""
    lang = lang if lang in LANGS else DEFAULT_LANG
    buffer = io.BytesIO()
    write_mo(buffer, catalog(lang))
    buffer.seek(0)
    found = GNUTranslations(buffer)
    if lang != DEFAULT_LANG:
        found.add_fallback(translations(DEFAULT_LANG))
    return found


def current_lang() -> str:
    """The language of what is being rendered now (see :func:`language`)."""
    return _current.get()


@contextmanager
def language(lang: str) -> Iterator[str]:
    """Render in ``lang`` inside the block: templates' ``_()`` and :func:`translate` use it."""
    lang = lang if lang in LANGS else DEFAULT_LANG
    token = _current.set(lang)
    try:
        yield lang
    finally:
        _current.reset(token)


def gettext(msgid: str, lang: str | None = None, **args: Any) -> str:
    """The word for ``msgid`` in ``lang`` (the current language by default), ``{name}`` places
    filled from ``args`` (themselves translated where they are messages)."""
    if not msgid:
        return ""  # the empty msgid is the catalogue's header
    lang = lang or current_lang()
    text = translations(lang).gettext(msgid)
    if args:
        text = text.format(**{k: translate(v, lang) for k, v in args.items()})
    return text


def known(msgid: str) -> bool:
    """Whether the catalogues have ``msgid``."""
    return bool(msgid) and catalog(DEFAULT_LANG).get(msgid) is not None  # "" is the header


class Message(str):
    """A library text in English (its ``str``), with the msgid and arguments to say it in another
    language. It serialises to JSON as its English text."""

    msgid: str
    args: dict[str, Any]

    def __new__(cls, msgid: str, args: dict[str, Any]) -> Message:
        made = super().__new__(cls, gettext(msgid, "en", **args))
        made.msgid, made.args = msgid, args
        return made

    def __reduce__(self) -> tuple[Any, ...]:
        return (Message, (self.msgid, self.args))


def message(msgid: str, **args: Any) -> Message:
    """A text for a page to translate: ``message("note_x", n=3)``."""
    return Message(msgid, args)


def word(code: Any, prefix: str = "") -> Any:
    """A domain code (a patent type, a status) as the word the catalogues have for ``prefix + code``,
    for a message's argument; a code they lack (or no code) as it is.

    >>> translate(word("utility_model"), "zh"), translate(word("verified", "status_"), "zh"), word("x-ray")
    ('实用新型', '已核验', 'x-ray')
    """
    return message(f"{prefix}{code}") if isinstance(code, str) and known(f"{prefix}{code}") else code


class Joined(Message):
    """Values said one after another, the language's separator (the msgid ``separator``) between them.

    >>> names = joined(["甲公司", "乙公司"])
    >>> str(names), translate(names, "zh")
    ('甲公司, 乙公司', '甲公司、乙公司')
    """

    items: list[Any]

    def __new__(cls, separator: str, items: list[Any]) -> Joined:
        made = str.__new__(cls, _join(separator, items, "en"))
        made.msgid, made.args, made.items = separator, {}, list(items)
        return made

    def __reduce__(self) -> tuple[Any, ...]:
        return (Joined, (self.msgid, self.items))


def joined(items: list[Any], separator: str = "list_sep") -> Joined:
    """``items`` (names, codes, messages) as one text: ``、`` between them in Chinese, ``, `` in English."""
    return Joined(separator, items)


def _join(separator: str, items: list[Any], lang: str) -> str:
    return gettext(separator, lang).join(str(translate(item, lang)) for item in items)


class Bilingual(Message):
    """A text the data gives in Chinese and in English (a rule set's source, a tier's name, an IPC
    title, a re-districting note), not a catalogue word: its ``str`` is the English, else the Chinese;
    :func:`translate` says it in the page's language, or in the one language the data has.

    >>> source = bilingual("国家知识产权局", "CNIPA")
    >>> str(source), translate(source, "zh"), translate(bilingual("绍兴市", None), "en")
    ('CNIPA', '国家知识产权局', '绍兴市')
    """

    texts: dict[str, str]

    def __new__(cls, zh: str | None, en: str | None) -> Bilingual:
        made = str.__new__(cls, en or zh or "")
        made.msgid, made.args = "", {}
        made.texts = {"zh": zh or en or "", "en": en or zh or ""}
        return made

    def __reduce__(self) -> tuple[Any, ...]:
        return (Bilingual, (self.texts["zh"], self.texts["en"]))


def bilingual(zh: str | None, en: str | None) -> Bilingual:
    """A data text in both languages (either may be missing): ``bilingual(row["zh"], row["en"])``."""
    return Bilingual(zh, en)


def translate(value: Any, lang: str | None = None) -> Any:
    """A :class:`Message` (or a list of them) in ``lang``; anything else as it is."""
    if isinstance(value, Bilingual):
        return value.texts[lang if lang in LANGS else current_lang() if lang is None else DEFAULT_LANG]
    if isinstance(value, Joined):
        return _join(value.msgid, value.items, lang or current_lang())
    if isinstance(value, Message):
        return gettext(value.msgid, lang, **value.args)
    if isinstance(value, list):
        return [translate(v, lang) for v in value]
    return value


def translate_all(value: Any, lang: str) -> Any:
    """``value`` with every :class:`Message` inside it (in dicts, lists, tuples) said in ``lang``:
    a page's dict as its template and its charts' JSON show it.

    >>> translate_all({"rows": [{"name": message("no_region"), "n": 3}]}, "zh")
    {'rows': [{'name': '未识别地区', 'n': 3}]}
    """
    if isinstance(value, Message):
        return translate(value, lang)
    if isinstance(value, dict):
        return {k: translate_all(v, lang) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(translate_all(v, lang) for v in value) if not hasattr(value, "_fields") else value
    return value


def message_json(value: Any) -> str | None:
    """A :class:`Message` as the store keeps it: its msgid and arguments (messages inside them kept the
    same way) as JSON; None for plain text, which has no msgid to keep.

    >>> message_json(message("err_not_a_number", value="x")), message_json("x is not a number")
    ('{"msgid": "err_not_a_number", "args": {"value": "x"}}', None)
    """
    return json.dumps(_kept(value), ensure_ascii=False, default=str) if isinstance(value, Message) else None


def message_from_json(stored: str | None, text: str = "") -> Any:
    """A :func:`message_json` said again as a :class:`Message`; ``text`` (the prose an older store kept,
    or a reason without a msgid) where there is none or it cannot be read.

    >>> translate(message_from_json('{"msgid": "err_not_a_number", "args": {"value": "x"}}'), "zh")
    'x 不是数字'
    """
    if not stored:
        return text
    try:
        said = _said(json.loads(stored))
    except (ValueError, TypeError, KeyError, AttributeError):
        return text
    return said if isinstance(said, Message) and (isinstance(said, Bilingual | Joined) or known(said.msgid)) else text


def _kept(value: Any) -> Any:
    if isinstance(value, Bilingual):
        return {"bilingual": [value.texts["zh"], value.texts["en"]]}
    if isinstance(value, Joined):
        return {"joined": value.msgid, "items": [_kept(item) for item in value.items]}
    if isinstance(value, Message):  # About and the like: their msgid and arguments say them the same
        return {"msgid": value.msgid, "args": {k: _kept(v) for k, v in value.args.items()}}
    if isinstance(value, list | tuple):
        return [_kept(v) for v in value]
    return value


def _said(value: Any) -> Any:
    if isinstance(value, dict) and "bilingual" in value:
        return Bilingual(*value["bilingual"])
    if isinstance(value, dict) and "joined" in value:
        return Joined(value["joined"], [_said(item) for item in value["items"]])
    if isinstance(value, dict) and "msgid" in value:
        return Message(value["msgid"], {k: _said(v) for k, v in value["args"].items()})
    if isinstance(value, list):
        return [_said(v) for v in value]
    return value
