"""The message catalogues (patentatlas/locale/{zh,en}/LC_MESSAGES/messages.po): every msgid has a
Chinese and an English text with the same {placeholders}, and every word a template or the
library asks for is in them."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from patentatlas.errors import FieldError, UsageError, about
from patentatlas.i18n import LANGS, catalog, gettext, known, message, translate
from patentatlas.web.i18n import translator

PACKAGE = Path(__file__).resolve().parents[1] / "patentatlas"
CJK = re.compile(r"[\u4e00-\u9fff]")
PLACEHOLDER = re.compile(r"\{(\w*)\}")


def _entries(lang: str) -> dict[str, str]:
    return {m.id: m.string for m in catalog(lang) if m.id}


def test_every_msgid_has_a_chinese_and_an_english_text() -> None:
    zh, en = _entries("zh"), _entries("en")
    assert len(zh) > 600
    assert sorted(set(zh) ^ set(en)) == []  # the same msgids in both
    assert [k for k in zh if not zh[k].strip()] == []
    assert [k for k in en if not en[k].strip()] == []
    assert [m.id for lang in LANGS for m in catalog(lang) if m.id and m.fuzzy] == []


def test_the_chinese_text_is_chinese_and_the_english_text_is_not() -> None:
    zh, en = _entries("zh"), _entries("en")
    # punctuation (、；) and names (IPC, Webhook) are the same words in Chinese
    assert sorted(k for k, v in zh.items() if not CJK.search(v)) == [
        "delivery_channel_webhook", "err_field", "list_sep", "switch_lang", "warn_semicolon", "warn_watch_ipc"]
    assert sorted(k for k, v in en.items() if CJK.search(v)) == ["switch_lang"]  # the button says 中文


def test_both_texts_have_the_same_placeholders() -> None:
    zh, en = _entries("zh"), _entries("en")
    differ = {k: (zh[k], en[k]) for k in zh if sorted(PLACEHOLDER.findall(zh[k])) != sorted(PLACEHOLDER.findall(en[k]))}
    assert differ == {}


def _template_msgids() -> set[str]:
    found: set[str] = set()
    for path in (PACKAGE / "web" / "templates").glob("*.html"):
        found |= set(re.findall(r"""(?<![\w.])_\(\s*'(\w+)'\s*[,)]""", path.read_text(encoding="utf-8")))
    return found


def test_every_word_a_template_asks_for_is_in_the_catalogues() -> None:
    asked = _template_msgids()
    assert len(asked) > 400
    assert sorted(k for k in asked if not known(k)) == []


def _python_msgids() -> set[str]:
    """The literal msgids the library asks for: message("…"), gettext("…"), and the web layer's t["…"]."""
    found: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        web = path.parent.name == "web"  # where t is the translator (elsewhere it is often a row)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("message", "gettext") \
                    and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                found.add(node.args[0].value)
            if web and isinstance(node, ast.Subscript) and getattr(node.value, "id", None) == "t" \
                    and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
                found.add(node.slice.value)
    return found


def test_every_word_the_library_asks_for_is_in_the_catalogues() -> None:
    asked = _python_msgids()
    assert {"dl_yes", "dl_table"} <= asked
    assert sorted(k for k in asked if not known(k)) == []


def test_words_by_language() -> None:
    assert gettext("grace_period_end", "zh") == "宽限期届满"
    assert translator("en")["col_fees_at_risk"] == "Fees at risk (yuan)"
    assert translator("fr")["fee_calendar"] == "年费日历"  # an unknown language gets Chinese
    assert gettext("gw_showing_first", "zh", n=500) == "仅列出前 500 条，完整清单请下载"


def test_a_library_text_is_english_and_says_itself_in_chinese() -> None:
    note = message("gw_showing_first", n=7)
    assert note == "Showing the first 7; download the full list"
    assert translate(note, "zh") == "仅列出前 7 条，完整清单请下载"
    assert translate([note, "CN1"], "zh") == ["仅列出前 7 条，完整清单请下载", "CN1"]


def test_an_error_says_itself_in_the_pages_language() -> None:
    """An error carries its message (msgid and arguments): English for the API and the CLI, the page's
    language on a page; a reason about a field names the field in that language; text from a file
    stays safe to show inside a message."""
    wrong = UsageError(message("err_wrong_credentials"))
    assert (str(wrong.message), wrong.said("zh"), wrong.code) == (
        "wrong e-mail or password", "电子邮箱或密码错误", "err_wrong_credentials")
    required = UsageError(about("uscc", message("err_is_required")))
    assert (required.message, required.field, required.code) == ("uscc: required", "uscc", "err_is_required")
    assert required.said("zh") == "统一社会信用代码：必填"
    assert required.said("en") == "Unified social credit code: required"
    assert required.to_dict() == {"error": "UsageError", "message": "uscc: required", "code": "err_is_required"}
    plain = UsageError("something else entirely")
    assert (plain.said("zh"), plain.to_dict()) == ("something else entirely",
                                                   {"error": "UsageError", "message": "something else entirely"})
    escaped = FieldError("申请日", message("err_not_a_real_date", value="2021\x1b[31m" + "9" * 700))
    said = escaped.said("zh")
    assert said.startswith("申请日：2021\\x1b[31m999") and said.endswith("…(112 more characters) 不是有效日期")
