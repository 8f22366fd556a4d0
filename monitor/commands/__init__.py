"""CLI commands grouped by area. Each module lists its click commands in `COMMANDS`;
`monitor.cli` registers them. Shared helpers (options, error reporting, rendering) are
imported from `monitor.cli`."""
