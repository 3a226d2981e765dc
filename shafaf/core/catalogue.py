"""The one gettext catalogue: every word Shafaf writes for people, in pages, validation reports and CLI output.

Strings are written once, in English, where they are used (the msgids):
``N_("...")`` or ``Phrase("...")`` for a fixed phrase, ``say(lang, "...",
**values)`` for a sentence with ``%(name)s`` values, ``{{ _("...") }}`` in
templates. Each other language is one ``locale/<lang>/LC_MESSAGES/shafaf.po``
with its compiled ``.mo`` beside it, kept with Babel (docs/translating.md).
It lives in ``core`` so that every stage, from validation to the web pages
and the CLI, reads the same catalogue.

Only *our* words are translated: harvested text (agency names, values as
written) never goes through it.
"""

from __future__ import annotations

import dataclasses
import functools
import gettext as gettext_module
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

LANGUAGES: tuple[str, ...] = ("fa", "en")
DEFAULT_LANGUAGE = "fa"
SOURCE_LANGUAGE = "en"  # msgids are English
DIRECTION: dict[str, str] = {"fa": "rtl", "en": "ltr"}
# Each language's name in itself (what a language switch shows: a reader finds their language by its own name).
LANGUAGE_NAMES: dict[str, str] = {"fa": "فارسی", "en": "English"}
LOCALE_DIR = Path(str(resources.files(__package__) / "locale"))
DOMAIN = "shafaf"

# Digits and separators of each language's script (a language missing here writes ASCII digits).
_DIGITS: dict[str, dict[int, str]] = {
    "fa": str.maketrans(
        {
            **{str(d): chr(0x06F0 + d) for d in range(10)},
            ",": "\u066c",  # ARABIC THOUSANDS SEPARATOR
            ".": "\u066b",  # ARABIC DECIMAL SEPARATOR
        }
    )
}


def N_(message: str) -> str:
    """Marks a string for ``pybabel extract``; it is translated where it is shown."""
    return message


def N_n(singular: str, plural: str) -> tuple[str, str]:
    """Marks a singular and plural pair for ``pybabel extract`` (``ngettext``'s msgids), translated where shown."""
    return singular, plural


@functools.cache
def translations(lang: str) -> gettext_module.NullTranslations:
    """The compiled catalogue of ``lang`` (English is the msgids themselves)."""
    if lang == SOURCE_LANGUAGE:
        return gettext_module.NullTranslations()
    with (LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.mo").open("rb") as mo:
        return gettext_module.GNUTranslations(mo)


def gettext(message: str, lang: str) -> str:
    return translations(lang).gettext(message)


def say(lang: str, message: str, /, **values: Any) -> str:
    """``message`` in ``lang`` with its ``%(name)s`` values filled in (values are already in ``lang``)."""
    text = translations(lang).gettext(message)
    return text % values if values else text


def say_n(lang: str, singular: str, plural: str, n: int, /, **values: Any) -> str:
    """The singular or plural form for ``n``, in ``lang``; ``%(n)s`` is ``n`` in the language's digits."""
    text = translations(lang).ngettext(singular, plural, n)
    return text % {"n": number(n, lang, grouped=True), **values}


def in_every_language(render: Callable[[str], str]) -> Text:
    """``render(lang)`` for each language of the catalogue."""
    return Text({lang: render(lang) for lang in LANGUAGES})


@dataclasses.dataclass(frozen=True)
class Text:
    """One message in every language of the catalogue (the published ``message``/``message_fa`` pairs)."""

    by_lang: dict[str, str]

    def __getitem__(self, lang: str) -> str:
        return self.by_lang.get(lang, self.by_lang[SOURCE_LANGUAGE])

    @property
    def en(self) -> str:
        return self["en"]

    @property
    def fa(self) -> str:
        return self["fa"]


@dataclasses.dataclass(frozen=True)
class Phrase:
    """A fixed phrase of the catalogue, translated when read: ``phrase[lang]``, ``phrase.fa``."""

    msgid: str

    def __getitem__(self, lang: str) -> str:
        return gettext(self.msgid, lang)

    @property
    def en(self) -> str:
        return self.msgid

    @property
    def fa(self) -> str:
        return self["fa"]


def digits(text: Any, lang: str) -> str:
    """``text`` with its ASCII digits written in the language's script (Persian digits in Persian)."""
    text = str(text)
    table = _DIGITS.get(lang)
    return text.translate(table) if table else text


def number(n: int | float | str | None, lang: str, *, grouped: bool = False) -> str:
    """A number Shafaf writes, in the language's digits; counts may be grouped by thousands."""
    text = f"{n:,}" if grouped and isinstance(n, int) else str(n)
    return digits(text, lang)


def join(items: Any, lang: str) -> str:
    """Items listed with the language's separator."""
    # TRANSLATORS: the separator between the items of a list.
    return say(lang, ", ").join(items)
