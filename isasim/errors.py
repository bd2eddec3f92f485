"""One error type for everything a user can get wrong.

The CLI prints ``isasim: error: <message>`` on one line and exits non-zero; it never shows a
traceback for an IsasimError. Messages name the file/line, pc and instruction word, or config
field that is at fault.
"""


class IsasimError(Exception):
    """A user-facing error with a one-line message."""

    exit_code = 2

    def __str__(self):
        msg = super().__str__()
        return " ".join(msg.split("\n")) if msg else self.__class__.__name__


class BuildError(IsasimError):
    pass


class SimError(IsasimError):
    """Raised by a core for illegal instructions, bad memory accesses, runaway programs."""

    exit_code = 3


class PluginError(IsasimError):
    """A plug-in description that cannot be used (one line naming the file and instruction)."""
