"""Domain functions: pure queries over the store returning plain data."""
