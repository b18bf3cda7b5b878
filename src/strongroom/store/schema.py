"""The whole schema: every module named `tables` or `*_tables` in the package declares tables on one Base.

Services keep their tables next to their code; importing them all gathers the complete metadata that
the migrations must produce (for Alembic's comparison, and the test that checks it).
"""

from __future__ import annotations

import importlib
from pathlib import Path

from sqlalchemy import MetaData

from strongroom.store.tables import Base

PACKAGE_ROOT = Path(__file__).resolve().parent.parent


def table_module_names() -> list[str]:
    names = []
    for path in sorted(PACKAGE_ROOT.rglob("*tables.py")):
        if path.stem == "tables" or path.stem.endswith("_tables"):
            parts = path.relative_to(PACKAGE_ROOT).with_suffix("").parts
            names.append(".".join((PACKAGE_ROOT.name, *parts)))
    return names


def full_metadata() -> MetaData:
    """Base.metadata with every table module imported."""
    for name in table_module_names():
        importlib.import_module(name)
    return Base.metadata
