"""`python -m builder` is the same as the `mathreel` command."""

from builder.cli import entry

raise SystemExit(entry())
