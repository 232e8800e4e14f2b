"""The web edge: FastAPI routes turning the library's dicts into JSON and HTML."""
