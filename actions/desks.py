"""Which of the chamber's desks is nearest to a member's city (find_desk).

Plain Python over knowledge/places/desks.yml; no Rasa import. Outside the
Casablanca-Settat region there is no chamber desk: members go to a CNSS agency.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Mapping, Optional, Tuple

import yaml

DESKS_FILE = Path(__file__).resolve().parent.parent / "knowledge" / "places" / "desks.yml"


@dataclass(frozen=True)
class Desk:
    id: str
    name: Mapping[str, str]
    city: str


@dataclass(frozen=True)
class Places:
    desks: Tuple[Desk, ...]
    region_cities: Mapping[str, Tuple[float, float]]

    def nearest_desk(self, city: Optional[str]) -> Optional[Desk]:
        """The desk closest to `city`, or None when the city is outside the region."""
        position = self._position(city)
        if position is None:
            return None
        return min(self.desks, key=lambda desk: _distance_km(position, self._position(desk.city)))

    def _position(self, city: Optional[str]) -> Optional[Tuple[float, float]]:
        folded = (city or "").strip().casefold()
        for name, position in self.region_cities.items():
            if name.casefold() == folded:
                return position
        return None


def load_places(path: Path = DESKS_FILE) -> Places:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    desks = tuple(Desk(id=d["id"], name=d["name"], city=d["city"]) for d in data["desks"])
    cities: Dict[str, Tuple[float, float]] = {
        name: (float(lat), float(lon)) for name, (lat, lon) in data["region_cities"].items()
    }
    return Places(desks=desks, region_cities=cities)


def _distance_km(a: Tuple[float, float], b: Tuple[float, float]) -> float:
    """Great-circle distance (haversine)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))
