"""Unified social credit codes: real published codes, normalisation and each kind of error."""

from __future__ import annotations

import pytest

from patentatlas.domain.uscc import WEIGHTS, check_character, normalize_uscc, uscc_region_code, validate_uscc
from patentatlas.errors import UsageError

# Codes published on the companies' business licences (checked with the algorithm below).
REAL_CODES = {
    "91330100716105852F": "330100",  # 阿里巴巴(中国)有限公司, 杭州
    "914403001922038216": "440300",  # 华为技术有限公司, 深圳
    "9144030071526726XG": "440300",  # 深圳市腾讯计算机系统有限公司
    "91110108551385082Q": "110108",  # 小米科技有限责任公司, 北京海淀
    "91110000802100433B": "110000",  # 北京百度网讯科技有限公司
    "91440300192317458F": "440300",  # 比亚迪股份有限公司, 深圳
}


def test_weights_are_powers_of_three_mod_31() -> None:
    assert WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


@pytest.mark.parametrize(("code", "region"), sorted(REAL_CODES.items()))
def test_real_codes_validate(code: str, region: str) -> None:
    assert validate_uscc(code) == code
    assert uscc_region_code(code) == region


def test_check_character_computed_by_hand() -> None:
    # 91330100716105852F (Alibaba, Hangzhou). Values are indexes in the charset (digits are themselves):
    #   chars    9  1  3  3  0  1  0  0  7   1   6   1   0  5   8  5   2
    #   weights  1  3  9 27 19 26 16 17 20  29  25  13   8 24  10 30  28
    #   products 9  3 27 81  0 26  0  0 140 29 150  13   0 120 80 150 56  → sum 884
    #   884 mod 31 = 16 (31 × 28 = 868); 31 − 16 = 15 → charset[15] = 'F'
    assert check_character("91330100716105852") == "F"
    # 914403001922038216 (Huawei, Shenzhen):
    #   products 9 3 36 108 0 78 0 0 20 261 50 26 0 72 80 60 28 → sum 831
    #   831 mod 31 = 25 (31 × 26 = 806); 31 − 25 = 6 → '6'
    assert check_character("91440300192203821") == "6"


def test_check_remainder_zero_gives_zero() -> None:
    # "00000000000000000": sum 0, 31 − 0 = 31 → 0
    assert check_character("00000000000000000") == "0"
    assert validate_uscc("000000000000000000") == "000000000000000000"


def test_normalize_lower_case_and_full_width() -> None:
    assert normalize_uscc("  9144030071526726xg\t") == "9144030071526726XG"
    assert normalize_uscc("９１４４０３００７１５２６７２６ｘｇ") == "9144030071526726XG"
    assert validate_uscc("９１３３０１００７１６１０５８５２ｆ") == "91330100716105852F"
    assert validate_uscc(" 91110108551385082q ") == "91110108551385082Q"


def test_wrong_check_character() -> None:
    with pytest.raises(UsageError) as caught:
        validate_uscc("91330100716105852G")
    assert caught.value.message == "unified social credit code '91330100716105852G': check character is G, expected F"
    assert caught.value.status_code == 400


@pytest.mark.parametrize(("text", "got"), [("91330100716105852", 17), ("91330100716105852FF", 19), ("", 0)])
def test_bad_length(text: str, got: int) -> None:
    with pytest.raises(UsageError) as caught:
        validate_uscc(text)
    assert caught.value.message == f"unified social credit code {text!r}: 18 characters expected, got {got}"


@pytest.mark.parametrize(("letter", "position"), [("I", 10), ("O", 12), ("Z", 18), ("S", 1), ("V", 2)])
def test_forbidden_letter(letter: str, position: int) -> None:
    code = "91330100716105852F"
    bad = code[: position - 1] + letter + code[position:]
    with pytest.raises(UsageError) as caught:
        validate_uscc(bad)
    assert caught.value.message == (
        f"unified social credit code {bad!r}: invalid character {letter!r} at position {position}"
        " (allowed: digits and capital letters except I, O, Z, S, V)"
    )


def test_letter_in_region_code() -> None:
    with pytest.raises(UsageError) as caught:
        validate_uscc("9133A100716105852F")
    assert caught.value.message == (
        "unified social credit code '9133A100716105852F': invalid character 'A' at position 5"
        " (the administrative division code, positions 3–8, is digits)"
    )


def test_region_code_of_invalid_code_raises() -> None:
    with pytest.raises(UsageError):
        uscc_region_code("91330100716105852A")
