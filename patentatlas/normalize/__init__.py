"""Normalisers: pure functions from a source's text to our canonical values.

Each raises :class:`patentatlas.errors.FieldError` naming the field when a value is invalid.
"""
