"""The shipped place coordinates: GeoNames facts, regenerated here and compared."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import yaml

from monitor.config import load_config
from monitor.store.watchlist import place_coordinates

ROOT = Path(__file__).resolve().parents[1]


def _script():
    spec = importlib.util.spec_from_file_location("place_coordinates",
                                                  ROOT / "scripts" / "place_coordinates.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_shipped_coordinates_are_what_the_script_makes_from_geonames() -> None:
    script = _script()
    made = script.render(script.build(ROOT / "config.yaml", script.CAPITALS))
    shipped = (ROOT / "monitor" / "data" / "place_coordinates.yaml").read_text(encoding="utf-8")
    assert made == shipped, "run: python scripts/place_coordinates.py"


def test_every_shipped_place_is_placed_or_listed_as_unplaced() -> None:
    data = yaml.safe_load((ROOT / "monitor" / "data" / "place_coordinates.yaml").read_text(
        encoding="utf-8"))
    places = {e.name for e in load_config(ROOT / "config.yaml", env={}).watchlist
              if e.kind == "place"}
    assert places == set(data["places"]) | set(data["unplaced"])
    assert len(data["places"]) >= 50
    coordinates = place_coordinates()
    assert coordinates["Maysan"]["how"] == "at its capital, Amarah"
    assert coordinates["Maysan"]["latitude"] == coordinates["Amarah"]["latitude"]
    for name, c in coordinates.items():  # Iraq spans about 29-37.4 N, 38.8-48.6 E
        assert 29.0 < c["latitude"] < 37.5 and 38.7 < c["longitude"] < 48.7, name
