"""Text for terminals: control characters from files and data shown, never obeyed.

Suite files and data tables are input: a suite name, description, slice value
or error message could carry terminal escape sequences (``\\x1b]0;title\\x07``
retitles the window, ``\\x1b[2J`` clears the screen). Everything the command
line and the pytest plugin print that comes from a file or data goes through
:func:`escape`, which shows each C0/C1 control character (and DEL) as a
visible ``\\xNN``. No display-library imports: the entry points use it.

Examples
--------
>>> escape("a\\x1b[2Jb")
'a\\\\x1b[2Jb'
>>> print(escape("title\\x1b]0;pwned\\x07 end"))
title\\x1b]0;pwned\\x07 end
>>> escape("two\\nlines\\tand a tab")
'two\\nlines\\tand a tab'
>>> escape("two\\nlines", multiline=False)
'two\\\\x0alines'
"""

from __future__ import annotations

import re

__all__ = ["error_line", "escape"]

# C0 controls, DEL and C1 controls; newline and tab are handled by `multiline`
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CONTROL_ALL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _visible(match: re.Match[str]) -> str:
    return f"\\x{ord(match.group()):02x}"


def escape(text: object, *, multiline: bool = True) -> str:
    """``str(text)`` with control characters replaced by visible ``\\xNN`` escapes.

    ``multiline`` keeps newline and tab as they are (for blocks of text); set
    it to False for one-line fields such as table cells, where they are
    escaped too. Carriage return is always escaped: it would overwrite a line.
    """
    pattern = _CONTROL if multiline else _CONTROL_ALL
    return pattern.sub(_visible, str(text))


def error_line(message: object) -> str:
    """``"error: <message>"`` for the command line, control characters escaped.

    >>> error_line("no such column 'x\\x1b[2J'")
    "error: no such column 'x\\\\x1b[2J'"
    """
    return f"error: {escape(message)}"
