"""The browser tests' one rule (tests/browser_support.py): without Chromium they skip on a
developer's machine and fail when ``CI`` is set."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser_support import require_browser

NOWHERE = Path("/nonexistent/chromium")


@pytest.mark.parametrize("value", ["true", "1", "yes"])
def test_a_missing_browser_fails_on_ci(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.fail.Exception, match="CI is set and /nonexistent/chromium is not installed"):
        require_browser(NOWHERE)


@pytest.mark.parametrize("value", [None, "", "0", "false"])
def test_a_missing_browser_skips_elsewhere(monkeypatch: pytest.MonkeyPatch, value: str | None) -> None:
    if value is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.skip.Exception, match="/nonexistent/chromium is not installed"):
        require_browser(NOWHERE)


def test_a_missing_playwright_client_fails_on_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    chromium = tmp_path / "chromium"
    chromium.touch()
    monkeypatch.setattr("importlib.util.find_spec", lambda name, *a: None if name == "playwright" else object())
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="the playwright Python client is not installed"):
        require_browser(chromium)
