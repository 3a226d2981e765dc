"""The msgids of click's own messages that a reader of ``shafaf validate`` meets, kept in our catalogue.

click asks the standard library's gettext for these exact English strings
(``str.format`` placeholders, click 8.1-8.x); ``language.click_speaks``
points gettext at our catalogue, so their Persian lives with every other
word. A test checks each is still a string click uses.
"""

from __future__ import annotations

from shafaf.core.catalogue import N_, N_n

WORDS: tuple[str, ...] = (
    N_("Usage:"),
    N_("Try '{command} {option}' for help."),
    N_("Error: {message}"),
    N_("Invalid value for {param_hint}: {message}"),
    N_("Invalid value: {message}"),
    N_("Missing argument"),
    N_("Missing option"),
    N_("Missing parameter"),
    N_("No such option {name!r}."),
    N_("Aborted!"),
)

PLURALS: tuple[tuple[str, str], ...] = (
    N_n("{value!r} is not {choice}.", "{value!r} is not one of {choices}."),
    N_n("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)"),
    N_n("Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments."),
    N_n("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})"),
)
