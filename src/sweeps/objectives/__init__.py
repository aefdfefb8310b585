"""Reference objectives. ``digits`` needs the ``torch`` extra; ``toy`` needs nothing."""
