"""Sub-commands of the `framewatch` CLI, one module each."""
