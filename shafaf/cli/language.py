"""A command that speaks its reader's language, click's own usage errors included.

click writes its messages ("Usage:", "Error: Missing argument...", "'x' is
not one of ...") through the standard library's ``gettext``, so they are
translated by putting our catalogue in front of it while the command line
is parsed and while an error is shown. The msgids of click's messages our
readers meet are listed in ``click_words``, so they are kept in the one
catalogue like every other.
"""

from __future__ import annotations

import contextlib
import gettext
import os
from collections.abc import Callable, Iterator
from typing import IO, Any

import click

from shafaf.core.catalogue import DOMAIN, LANGUAGES, LOCALE_DIR


@contextlib.contextmanager
def click_speaks(lang: str) -> Iterator[None]:
    """click's words in ``lang`` inside the block (the standard library's gettext reads our catalogue)."""
    domain, language = gettext.textdomain(), os.environ.get("LANGUAGE")
    gettext.bindtextdomain(DOMAIN, str(LOCALE_DIR))
    gettext.textdomain(DOMAIN)
    os.environ["LANGUAGE"] = lang
    try:
        yield
    finally:
        gettext.textdomain(domain)
        if language is None:
            os.environ.pop("LANGUAGE", None)
        else:
            os.environ["LANGUAGE"] = language


class _UsageErrorIn(click.UsageError):
    """A usage error shown in the language it was raised in ("Usage:", "Try...", "Error:" too)."""

    def __init__(self, error: click.UsageError, lang: str) -> None:
        super().__init__(error.format_message(), error.ctx)
        self.exit_code = error.exit_code
        self.lang = lang

    def show(self, file: IO[Any] | None = None) -> None:
        with click_speaks(self.lang):
            super().show(file)


class SpeakingCommand(click.Command):
    """A command whose usage errors, click's and ours, are in the language ``language_of(args)`` chooses.

    The language is chosen from the raw arguments before click parses them, so
    that a mistake in the command line itself is explained in that language.
    """

    language_of: Callable[[list[str]], str] = staticmethod(lambda args: LANGUAGES[0])

    def make_context(
        self, info_name: str | None, args: list[str], parent: click.Context | None = None, **extra: Any
    ) -> click.Context:
        lang = self.language_of(list(args))
        with click_speaks(lang):
            try:
                ctx = super().make_context(info_name, args, parent, **extra)
            except click.UsageError as e:
                raise _UsageErrorIn(e, lang) from e
        ctx.meta["shafaf.lang"] = lang
        return ctx

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as e:
            raise _UsageErrorIn(e, ctx.meta.get("shafaf.lang", LANGUAGES[0])) from e


def option_value(args: list[str], name: str) -> str | None:
    """The value given to option ``name`` (``--lang fa`` or ``--lang=fa``) in raw arguments, if any."""
    for i, arg in enumerate(args):
        if arg == "--":
            break
        if arg == name and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(name + "="):
            return arg[len(name) + 1 :]
    return None
