"""Optional dependencies: check an extra is installed before code that imports it runs.

The engines import ``sqlglot`` (and ``duckdb`` or ``pyspark``) at module level; without
the extra a user would meet ``No module named 'sqlglot'`` instead of the install line.

Examples
--------
>>> require_extra("duckdb")  # installed with the dev extra
>>> EXTRAS["spark"]
('pyspark', 'sqlglot')
"""

from __future__ import annotations

import importlib.util

from mlprobe.errors import MlprobeError

__all__ = ["EXTRAS", "require_extra"]

#: extra name -> the importable packages it brings (pyproject.toml's optional-dependencies)
EXTRAS: dict[str, tuple[str, ...]] = {
    "duckdb": ("duckdb", "sqlglot"),
    "spark": ("pyspark", "sqlglot"),
}


def require_extra(extra: str, *, what: str = "") -> None:
    """Raise a clear error naming the install command if ``extra``'s packages are missing."""
    missing = [name for name in EXTRAS[extra] if importlib.util.find_spec(name) is None]
    if missing:
        raise MlprobeError(
            f"{what or extra + ' engine'} needs the optional package(s) {missing}: "
            f"pip install 'mlprobe[{extra}]'."
        )
