"""Nearest chamber desk by city (actions/desks.py) and its data."""
import pytest
import yaml

from actions.desks import load_places
from tests.conftest import ROOT

PLACES = load_places()


@pytest.mark.parametrize(
    "city, desk",
    [
        ("Casablanca", "casablanca"),
        ("Mohammedia", "mohammedia"),
        ("El Jadida", "el_jadida"),
        ("Settat", "settat"),
        ("Benslimane", "mohammedia"),
        ("Azemmour", "el_jadida"),
        ("Sidi Bennour", "el_jadida"),
        ("Bouskoura", "casablanca"),
        ("Had Soualem", "casablanca"),
        ("Berrechid", "settat"),
        ("berrechid", "settat"),
        ("  SETTAT ", "settat"),
    ],
)
def test_a_city_of_the_region_gets_its_nearest_desk(city, desk):
    assert PLACES.nearest_desk(city).id == desk


@pytest.mark.parametrize("city", ["Rabat", "Fès", "Laâyoune", "other", "", None, "Ouarzazate"])
def test_outside_the_region_there_is_no_chamber_desk(city):
    assert PLACES.nearest_desk(city) is None


def test_every_desk_is_named_in_three_languages_and_sits_in_a_region_city():
    for desk in PLACES.desks:
        assert set(desk.name) == {"fr", "ar", "dar"} and all(desk.name.values())
        assert PLACES.nearest_desk(desk.city) == desk


def test_region_cities_are_values_the_city_entity_produces():
    lookup = yaml.safe_load((ROOT / "data" / "lookups" / "city.yml").read_text(encoding="utf-8"))
    canonical = {item["synonym"] for item in lookup["nlu"] if "synonym" in item}
    assert set(PLACES.region_cities) <= canonical
