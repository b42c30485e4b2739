"""Plain-Python foundations: paths, settings, errors, translations. No Qt, no SQL."""
