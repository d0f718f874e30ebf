"""Errors a user acts on: the message names the key or file, the value, and what to do."""


class ConfigError(ValueError):
    """A config value the user must change; the message names the key and what to do."""
