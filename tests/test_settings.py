"""Settings reach every worker process through the environment, unchanged."""

from __future__ import annotations

from pathlib import Path

from strongroom.settings import Settings


def test_settings_round_trip_through_the_environment(tmp_path: Path) -> None:
    settings = Settings.create(data_dir=tmp_path / "data", root_key_file=tmp_path / "root.key", clock_control=True,
                               developer_mode=True, reset_enabled=True, seed_file=tmp_path / "seed.yaml",
                               account_id="123456789012", workers=3)
    assert Settings.from_environ(settings.to_environ()) == settings


def test_one_worker_unless_told(tmp_path: Path) -> None:
    assert Settings.from_environ({"STRONGROOM_DATA_DIR": str(tmp_path)}).workers == 1
