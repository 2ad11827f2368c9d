"""Small datasets bundled with mlprobe for examples, tests and tutorials."""

from mlprobe.datasets._adult import load_adult

__all__ = ["load_adult"]
