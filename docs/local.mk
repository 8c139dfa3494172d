# docs/: shipped documentation.
