"""Normalisers against REFERENCE §1–2 and the forms seen in the real exports."""

from __future__ import annotations

import datetime as dt

import pytest

from patentatlas.errors import FieldError
from patentatlas.normalize.appno import canonical_numbers, check_digit, normalize_application_number
from patentatlas.normalize.dates import parse_date
from patentatlas.normalize.ipc import canonical_ipc, main_code, split_codes
from patentatlas.normalize.kinds import patent_type_from_text, publication_kind
from patentatlas.normalize.names import normalize_name, party_kind, split_names
from patentatlas.normalize.status import status_family


def test_check_digit_worked_example() -> None:
    # REFERENCE §1: weighted sum 107, 107 mod 11 = 8
    assert check_digit("202010302257") == "8"


@pytest.mark.parametrize(
    "raw", ["CN202010302257.8", "202010302257.8", "2020103022578", "ZL202010302257.8",
            " cn202010302257.8 ", "ZL２０２０１０３０２２５７．８"],
)
def test_application_number_forms(raw: str) -> None:
    number = normalize_application_number(raw)
    assert number.number == "CN202010302257.8"
    assert number.country == "CN"
    assert number.type_digit == "1"


def test_check_digit_x_and_pre_2003_form() -> None:
    # Patentics writes the priority CN201710472509X without a dot: the check value 10 is X
    assert normalize_application_number("CN201710472509X").number == "CN201710472509.X"
    # before 2003: 8 digits, weights 2..9 — 0·2+1·3+1·4+2·5+3·6+4·7+5·8+6·9 = 157, mod 11 = 3
    assert check_digit("01123456") == "3"
    assert normalize_application_number("01123456.3").number == "CN01123456.3"
    assert normalize_application_number("01123456.3").type_digit == "1"


def test_the_column_check_of_canonical_numbers_agrees_with_the_check_digit_rule() -> None:
    """canonical_numbers (Arrow, a whole column at once) says yes exactly where the one-number rule
    does: every check character 0–9 and X after the digits of real numbers, with every type digit."""
    numbers = [f"CN{digits}.{c}" for digits in ("202010302257", "201910777840", "202130300001", "200710063161",
                                                "202221155712", "201620152940", "200410004567", "201380012345",
                                                "202050000001")
               for c in "0123456789X"]
    numbers += ["CN202010302257.8 ", "cn202010302257.8", "CN20201030225.78", "ZL202010302257.8", "", None]
    expected = [n is not None and len(n) == 16 and n[:2] == "CN" and n[14] == "." and n[2:14].isdigit()
                and n[6] in "12389" and check_digit(n[2:14]) == n[15] for n in numbers]
    assert canonical_numbers(numbers) == expected
    assert sum(expected) == 8  # one right check character for each of the 8 numbers whose type digit is known


def test_bad_check_digit_names_field_and_both_digits() -> None:
    with pytest.raises(FieldError) as exc:
        normalize_application_number("CN202010302257.3", "申请号")
    assert exc.value.field == "申请号"
    assert "is 3" in exc.value.reason and "give 8" in exc.value.reason


def test_foreign_numbers_kept_with_country() -> None:
    assert normalize_application_number("US17715764") == ("US17715764", "US", None, None)
    assert normalize_application_number("AU 2016/219013 A").number == "AU2016/219013A"
    assert normalize_application_number("PCT/CN2014/095917").country == "WO"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("2022/07/15", dt.date(2022, 7, 15)), ("20220107", dt.date(2022, 1, 7)),
     ("2020-04-16", dt.date(2020, 4, 16)), ("20220426.0", dt.date(2022, 4, 26)),
     (20220426.0, dt.date(2022, 4, 26)), ("2021.09.03", dt.date(2021, 9, 3)), ("", None)],
)
def test_dates(raw: object, expected: dt.date | None) -> None:
    assert parse_date(raw, "申请日") == expected


def test_lens_short_dates_are_day_first() -> None:
    assert parse_date("12/02/16", "application_date", day_first_short=True) == dt.date(2016, 2, 12)
    # Lens's AU 1945/019981 A: two-digit years never land in the future
    assert parse_date("05/04/45", "application_date", day_first_short=True) == dt.date(1945, 4, 5)


@pytest.mark.parametrize("raw", ["2022/02/30", "20221301", "2022-13-01", "tomorrow"])
def test_impossible_dates(raw: str) -> None:
    with pytest.raises(FieldError) as exc:
        parse_date(raw, "申请日")
    assert exc.value.field == "申请日"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("G06F 16/583", "G06F16/583"), ("G06F  9/451", "G06F9/451"), ("G01R31/389", "G01R31/389"),
     ("G06F0016583000", "G06F16/583"), ("A01B0001000000", "A01B1/00"), ("B60W30/188I", "B60W30/188"),
     ("G06F", "G06F")],
)
def test_ipc_canonical(raw: str, expected: str) -> None:
    assert canonical_ipc(raw) == expected


def test_ipc_lists_and_main() -> None:
    codes = split_codes("G06F 16/583|G06F 16/535|G06F  9/451")
    assert codes == ("G06F16/583", "G06F16/535", "G06F9/451")
    # Patentics's 国际主分类 is only the subclass: completed from the list
    assert main_code("G06T", split_codes("G09B  9/00 | G06T 19/00")) == "G06T19/00"
    with pytest.raises(FieldError):
        canonical_ipc("G6F 16/583")


def test_status_families() -> None:
    assert [status_family(s) for s in ("公开", "实质审查", "授权", "未缴年费", "期限届满", "撤回", "有权")] == [
        "pending", "pending", "in_force", "lapsed", "lapsed", "lapsed", "in_force"]
    assert status_family("某种新状态") is None


def test_kinds_and_types() -> None:
    assert publication_kind("CN111856303B") == "B"
    assert publication_kind("CN105807763B8") == "B"
    assert publication_kind("US 2013/0239869 A1") == "A"
    assert patent_type_from_text("外观设计") == "design"
    assert patent_type_from_text("发明公布") == "invention"


def test_names() -> None:
    assert split_names("A公司;;B公司|C公司；D公司") == ("A公司", "B公司", "C公司", "D公司")
    assert normalize_name("中科创达软件科技（深圳）有限公司") == "中科创达软件科技(深圳)有限公司"
    assert normalize_name("ＡＢＣ 有限 公司") == "ABC有限公司"
    assert normalize_name("Microsoft Technology Licensing Llc") == "MICROSOFT TECHNOLOGY LICENSING LLC"
    kinds = {n: party_kind(n) for n in ("浙江大学", "丰田自动车株式会社", "中国科学院自动化研究所",
                                         "孙恺", "ESCO CORP", "浙江大学科技园有限公司")}
    assert kinds == {"浙江大学": "university", "丰田自动车株式会社": "enterprise",
                     "中国科学院自动化研究所": "research_institute", "孙恺": "individual",
                     "ESCO CORP": "enterprise", "浙江大学科技园有限公司": "enterprise"}
