"""JSON API of the government end: region indicators and the map's data."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
