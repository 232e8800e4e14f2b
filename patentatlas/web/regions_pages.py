"""Pages of the government end: region overview with the map, industries, enterprises, patents."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
