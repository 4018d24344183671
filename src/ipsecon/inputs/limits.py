"""Limits on run settings, one owner for the scenario schema and the command line (no imports: the
CLI reads them at start-up)."""

MAX_HORIZON_YEARS = 150  # a lifetime from birth (the schema's MAX_AGE); --horizon and --horizons too
MAX_CYCLE_YEARS = 10  # cycles may be longer than a year (e.g. a model in 5-year steps)
