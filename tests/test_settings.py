"""Every setting is documented in the README and overridable from the environment."""
from __future__ import annotations

import pytest

from conftest import REPO
from tco.settings import SETTINGS, Settings, SettingsError


def test_every_setting_is_documented_in_readme():
    readme = (REPO / "README.md").read_text()
    for s in SETTINGS:
        assert f"`{s.env_var}`" in readme, s.env_var


def test_env_overrides_and_types():
    s = Settings.from_env({"TCO_PORT": "9001", "TCO_HOST": "0.0.0.0", "TCO_PRICING_DIR": "/a:/b"})
    assert (s.port, s.host) == (9001, "0.0.0.0")
    assert s.pricing_dirs == ("/a", "/b")
    assert Settings.from_env({}) == Settings()


def test_bad_env_value_names_variable():
    with pytest.raises(SettingsError, match="TCO_WORKERS: expected int, got 'many'"):
        Settings.from_env({"TCO_WORKERS": "many"})
