"""Settings reach every worker process through the environment, unchanged."""

from __future__ import annotations

from pathlib import Path

from strongroom.settings import HttpLimits, Settings


def test_settings_round_trip_through_the_environment(tmp_path: Path) -> None:
    settings = Settings.create(data_dir=tmp_path / "data", root_key_file=tmp_path / "root.key", clock_control=True,
                               developer_mode=True, reset_enabled=True, seed_file=tmp_path / "seed.yaml",
                               account_id="123456789012", workers=3,
                               http=HttpLimits(header_timeout=2.5, body_timeout=4.0, keep_alive_timeout=7,
                                               max_head_bytes=8192, max_connections=50),
                               forwarded_allow_ips="10.0.0.0/8")
    assert Settings.from_environ(settings.to_environ()) == settings


def test_one_worker_unless_told(tmp_path: Path) -> None:
    assert Settings.from_environ({"STRONGROOM_DATA_DIR": str(tmp_path)}).workers == 1
