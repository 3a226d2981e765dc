"""What each validation problem means, in Persian and English, and what to do about it.

One catalogue keyed by error type: frictionless' own types (type-error,
constraint-error, missing-cell, ...), ours (cross-field, foreign-key,
date-error, ...) and the reasons a whole file is refused (missing_column,
encoding, ...). Messages name the column by its title in the standard
(``title`` / ``title_fa``) and quote the value as the agency wrote it.

Writing conventions, so every message reads the same way:

- English quotes values in '...'; Persian in «...».
- Numbers Shafaf writes (row and column numbers, limits, counts) are in
  Persian digits in Persian text and ASCII digits in English text; values the
  agency wrote are quoted exactly as written, whatever their digits.
- Codes that are part of the standard (online, in_person, field names) stay
  Latin in both languages: they are what the agency must type.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from typing import Any, Iterable, Mapping

from shafaf import standard
from shafaf.core.models import Reason

LANGS = ("en", "fa")
MAX_QUOTED = 80  # longer values are cut in messages (the report keeps the whole value)
_FA_DIGITS = str.maketrans("0123456789,.", "۰۱۲۳۴۵۶۷۸۹٬٫")


@dataclasses.dataclass(frozen=True)
class Text:
    """One sentence in both languages."""

    en: str
    fa: str

    def __getitem__(self, lang: str) -> str:
        return self.fa if lang == "fa" else self.en


@dataclasses.dataclass(frozen=True)
class Kind:
    """An error type (or a reason a file is refused) as people read it: a plain name and what to fix."""

    name: Text
    fix: Text


# --- numbers, quotes and titles --------------------------------------------------------


def num(n: int | float | str, lang: str, *, grouped: bool = False) -> str:
    """A number Shafaf writes: Persian digits in Persian text; counts may be grouped by thousands."""
    text = f"{n:,}" if grouped and isinstance(n, int) else str(n)
    return text.translate(_FA_DIGITS) if lang == "fa" else text


def quote(value: Any, lang: str) -> str:
    """A value as the agency wrote it, quoted; an empty one said as such."""
    text = "" if value is None else str(value)
    if not text.strip():
        return "خالی" if lang == "fa" else "empty"
    if len(text) > MAX_QUOTED:
        text = text[: MAX_QUOTED - 1] + "…"
    return f"«{text}»" if lang == "fa" else f"'{text}'"


def _join(items: Iterable[str], lang: str) -> str:
    return ("، " if lang == "fa" else ", ").join(items)


# Columns of a source that stand for standard fields without being one.
_PSEUDO_FIELDS = {"period": Text("Period", "دوره")}


@functools.cache
def _fields(dataset: str) -> dict[str, dict[str, Any]]:
    try:
        return {f["name"]: f for f in standard.fields(dataset)}
    except KeyError:
        return {}


def field_title(dataset: str, field: str | None, lang: str) -> str:
    """The column's title in the standard, in ``lang``; the name itself when the standard has none."""
    if not field:
        return ""
    spec = _fields(dataset).get(field)
    if spec is not None:
        return spec.get("title_fa" if lang == "fa" else "title") or field
    pseudo = _PSEUDO_FIELDS.get(field)
    return pseudo[lang] if pseudo else field


def dataset_title(dataset: str, lang: str) -> str:
    try:
        schema = standard.load_schema(dataset)
    except KeyError:
        return dataset
    return schema.get("title_fa" if lang == "fa" else "title") or dataset


def _subject(dataset: str, field: str | None, lang: str) -> str:
    """How a message starts: the column's title, quoted in Persian."""
    title = field_title(dataset, field, lang)
    if not title:
        return ""
    return f"«{title}»" if lang == "fa" else title


def _prefixed(subject: str, sentence: str, lang: str) -> str:
    return f"{subject}: {sentence}" if subject else sentence


# --- the catalogue ------------------------------------------------------------------------

_FIX_VALUES = Text(
    "Use only what the standard allows in this column: one of its listed values, a number within its limits, "
    "or a value in its form; do not leave required cells empty.",
    "در این ستون فقط آنچه استاندارد مجاز می‌داند بنویسید: یکی از مقادیر فهرست‌شده، عددی در محدوده مجاز "
    "یا مقداری با قالب خواسته‌شده؛ خانه‌های الزامی را خالی نگذارید.",
)
_FIX_FILE = Text(
    "Check that the file really is a CSV, XLSX or JSON table and is not damaged: open it in a spreadsheet and save it again.",
    "مطمئن شوید فایل واقعاً جدول CSV، XLSX یا JSON است و آسیب ندیده است: آن را در صفحه‌گسترده باز کنید و دوباره ذخیره کنید.",
)
_FIX_ROWS = Text(
    "Fix the rows listed in the report (row, column, value), then send or harvest the file again.",
    "سطرهایی را که گزارش با شماره سطر، ستون و مقدار نام برده اصلاح کنید و فایل را دوباره بفرستید یا برداشت کنید.",
)

ERROR_TYPES: dict[str, Kind] = {
    # frictionless: cells
    "type-error": Kind(
        Text("wrong kind of value", "نوع نادرست مقدار"),
        Text("Write numbers with digits only (no units or words; leave the cell empty when there is no figure), "
             "dates like 1402/07/15 or 2024-03-05, yes/no columns as yes/no, true/false or بله/خیر, "
             "web addresses starting with https://.",
             "اعداد را فقط با رقم بنویسید (بی واحد و بی کلمه؛ اگر رقمی نیست خانه را خالی بگذارید)، "
             "تاریخ‌ها را مانند ۱۴۰۲/۰۷/۱۵ یا 2024-03-05، ستون‌های بله/خیر را با بله/خیر، yes/no یا true/false، "
             "و نشانی‌های وب را با https:// در آغاز."),
    ),
    "constraint-error": Kind(Text("value not allowed", "مقدار غیرمجاز"), _FIX_VALUES),
    "unique-error": Kind(
        Text("repeated value in a unique column", "مقدار تکراری در ستون یکتا"),
        Text("Every row needs its own value in this column: remove the repeated row or correct the value.",
             "هر سطر در این ستون مقدار خودش را لازم دارد: سطر تکراری را حذف کنید یا مقدار را اصلاح کنید."),
    ),
    "primary-key": Kind(
        Text("repeated row key", "کلید تکراری"),
        Text("Keep one row per key (for example one row per service, period and channel): "
             "remove the repeated row, or correct the key column that was copied wrongly.",
             "برای هر کلید فقط یک سطر نگه دارید (مثلاً یک سطر برای هر خدمت، دوره و مجرا): "
             "سطر تکراری را حذف کنید یا ستون کلیدی را که اشتباه رونوشت شده اصلاح کنید."),
    ),
    "foreign-key": Kind(
        Text("unknown service", "خدمت ناشناخته"),
        Text("Add the service to the agency's services file (or fix its row there if it was rejected), "
             "or correct the service ID to one that is in it.",
             "خدمت را به فایل خدمات دستگاه بیفزایید (یا اگر سطرش در آن فایل رد شده، آن سطر را اصلاح کنید) "
             "یا شناسه خدمت را به شناسه‌ای که در آن فایل هست اصلاح کنید."),
    ),
    # frictionless: rows
    "missing-cell": Kind(
        Text("row shorter than the header", "سطر کوتاه‌تر از سرستون"),
        Text("Look for a missing separator or a line break inside a cell: every row needs as many cells as the "
             "header has columns (empty cells are fine).",
             "دنبال جداکننده جاافتاده یا شکستن خط درون یک خانه بگردید: هر سطر باید به تعداد ستون‌های سرستون "
             "خانه داشته باشد (خانه خالی اشکالی ندارد)."),
    ),
    "extra-cell": Kind(
        Text("row longer than the header", "سطر بلندتر از سرستون"),
        Text("Remove values past the last column, or put quotes around cells that contain the separator "
             "(a comma inside a number or a name).",
             "مقادیر بیرون از آخرین ستون را پاک کنید یا خانه‌هایی را که جداکننده دارند (مثلاً ویرگول درون عدد یا نام) "
             "در گیومه بگذارید."),
    ),
    "blank-row": Kind(
        Text("blank row (skipped)", "سطر خالی (نادیده گرفته شد)"),
        Text("Nothing to fix: blank rows are skipped.", "نیازی به اصلاح نیست: سطرهای خالی نادیده گرفته می‌شوند."),
    ),
    "duplicate-row": Kind(
        Text("repeated row", "سطر تکراری"),
        Text("Remove the repeated row.", "سطر تکراری را حذف کنید."),
    ),
    "row-constraint": Kind(Text("row rule broken", "قاعده سطر رعایت نشده"), _FIX_VALUES),
    "forbidden-value": Kind(Text("forbidden value", "مقدار ممنوع"), _FIX_VALUES),
    "sequential-value": Kind(
        Text("value out of sequence", "مقدار خارج از ترتیب"),
        Text("Number the rows in order without gaps or repeats.", "سطرها را به ترتیب و بی جاافتادگی یا تکرار شماره بزنید."),
    ),
    "truncated-value": Kind(
        Text("value looks cut off", "مقدار بریده‌شده"),
        Text("Export again without the spreadsheet's length limit.", "فایل را دوباره و بی محدودیت طول خانه خروجی بگیرید."),
    ),
    "ascii-value": Kind(
        Text("characters outside ASCII", "نویسه بیرون از ASCII"),
        Text("Write this column with Latin letters and ASCII digits.", "این ستون را با حروف لاتین و رقم‌های ASCII بنویسید."),
    ),
    "deviated-value": Kind(
        Text("unusual value", "مقدار غیرعادی"),
        Text("Check the value: it is far from the others in its column.", "مقدار را بررسی کنید: با دیگر مقادیر ستون فاصله زیادی دارد."),
    ),
    "deviated-cell": Kind(
        Text("unusually long cell", "خانه غیرعادی"),
        Text("Check the cell: it is far longer than the others in its column.", "خانه را بررسی کنید: از دیگر خانه‌های ستون بسیار بلندتر است."),
    ),
    # frictionless: the header
    "duplicate-label": Kind(
        Text("repeated column name", "نام ستون تکراری"),
        Text("Give every column its own name; of columns with one name only the first is matched to the standard.",
             "به هر ستون نام جداگانه بدهید؛ از ستون‌های هم‌نام فقط نخستین به استاندارد نسبت داده می‌شود."),
    ),
    "blank-label": Kind(
        Text("column without a name", "ستون بی‌نام"),
        Text("Name the column after the standard's field, or delete it: a column without a name is matched to no field.",
             "ستون را به نام فیلد استاندارد بنامید یا حذفش کنید: ستون بی‌نام به هیچ فیلدی نسبت داده نمی‌شود."),
    ),
    "header-error": Kind(
        Text("problem in the header", "مشکل در سرستون"),
        Text("Put one row of column names first, each column with its own name.",
             "سطر نخست را به نام ستون‌ها بدهید و به هر ستون نام جداگانه."),
    ),
    "blank-header": Kind(
        Text("blank header row", "سرستون خالی"),
        Text("Put the column names in the first row.", "نام ستون‌ها را در سطر نخست بنویسید."),
    ),
    "unmatched-header": Kind(
        Text("no column of the standard in the header", "هیچ ستونی از استاندارد در سرستون نیست"),
        Text("Put the standard's field names in the first row, or map your columns in the registry's fields.",
             "نام فیلدهای استاندارد را در سطر نخست بنویسید یا ستون‌های خود را در بخش fields فهرست دستگاه‌ها نگاشت کنید."),
    ),
    "extra-label": Kind(
        Text("column not in the standard", "ستون بیرون از استاندارد"),
        Text("Remove the column or rename it to a field of the standard.", "ستون را حذف کنید یا به نام یکی از فیلدهای استاندارد تغییر دهید."),
    ),
    "missing-label": Kind(
        Text("column missing from the header", "ستون جاافتاده در سرستون"),
        Text("Add the column the standard expects.", "ستونی را که استاندارد انتظار دارد بیفزایید."),
    ),
    "incorrect-label": Kind(
        Text("column name does not match the standard", "نام ستون با استاندارد نمی‌خواند"),
        Text("Rename the column to the standard's field name.", "نام ستون را به نام فیلد استاندارد تغییر دهید."),
    ),
    # frictionless: the file
    "encoding-error": Kind(Text("unreadable characters", "نویسه‌های ناخوانا"), _FIX_FILE),
    "format-error": Kind(Text("unreadable file", "فایل ناخوانا"), _FIX_FILE),
    "source-error": Kind(Text("unreadable file", "فایل ناخوانا"), _FIX_FILE),
    "scheme-error": Kind(Text("unreadable file", "فایل ناخوانا"), _FIX_FILE),
    # ours
    "cross-field": Kind(
        Text("values that contradict each other", "مقادیر ناسازگار"),
        Text("Completed cannot exceed applications, nor within-standard exceed completed; "
             "a period or an activity cannot end before it starts.",
             "شمار انجام‌شده‌ها از درخواست‌ها و شمار در زمان استاندارد از انجام‌شده‌ها بیشتر نمی‌شود؛ "
             "هیچ دوره یا فعالیتی پیش از آغازش پایان نمی‌یابد."),
    ),
    "date-error": Kind(
        Text("unreadable date", "تاریخ ناخوانا"),
        Text("Write dates like 1402/07/15 (Jalali) or 2024-03-05 (Gregorian), with the year in full.",
             "تاریخ‌ها را مانند ۱۴۰۲/۰۷/۱۵ (شمسی) یا 2024-03-05 (میلادی) و با سال چهاررقمی بنویسید."),
    ),
    "period-error": Kind(
        Text("unreadable period", "دوره ناخوانا"),
        Text("Write periods like 1402-07 (a Jalali month), 2024-03 (a Gregorian month), 2024-Q1, 2023-2024 or 1402.",
             "دوره‌ها را مانند ۱۴۰۲-۰۷ (ماه شمسی)، 2024-03 (ماه میلادی)، 2024-Q1، 2023-2024 یا ۱۴۰۲ بنویسید."),
    ),
    "wrong-agency": Kind(
        Text("row of another agency", "سطر دستگاهی دیگر"),
        Text("Send only your agency's rows in this file, or correct the agency_id column.",
             "در این فایل فقط سطرهای دستگاه خود را بفرستید یا ستون agency_id را اصلاح کنید."),
    ),
}

FATAL_REASONS: dict[str, Kind] = {
    "missing_column": Kind(
        Text("a required column is missing", "ستون الزامی وجود ندارد"),
        Text("Add the column, or rename yours to the standard's field name (or map it in the registry's fields).",
             "ستون را بیفزایید یا نام ستون خود را به نام فیلد استاندارد تغییر دهید (یا آن را در بخش fields فهرست دستگاه‌ها نگاشت کنید)."),
    ),
    "encoding": Kind(
        Text("the characters cannot be read in this encoding", "نویسه‌ها با این کدگذاری خوانده نمی‌شوند"),
        Text("Save the file as UTF-8 (in Excel: CSV UTF-8), or say its encoding, e.g. --encoding cp1256 for Windows Persian files.",
             "فایل را با کدگذاری UTF-8 ذخیره کنید (در اکسل: CSV UTF-8) یا کدگذاری آن را بگویید، "
             "مثلاً --encoding cp1256 برای فایل‌های فارسی ویندوز."),
    ),
    "unreadable": Kind(Text("the file cannot be read as a table", "فایل به‌صورت جدول خوانده نمی‌شود"), _FIX_FILE),
    "invalid_json": Kind(Text("the JSON cannot be read safely", "JSON با اطمینان خوانده نمی‌شود"), _FIX_FILE),
    "disk_full": Kind(
        Text("the portal's disk is full (not a problem of the file)", "دیسک درگاه پر است (ایراد از فایل نیست)"),
        Text("The portal's operator frees space on its data disk; the file is harvested again on its next run.",
             "گرداننده درگاه روی دیسک داده‌ها جا باز می‌کند؛ فایل در نوبت بعد دوباره برداشت می‌شود."),
    ),
    "structure": Kind(Text("the table's structure cannot be read", "ساختار جدول خوانده نمی‌شود"), _FIX_FILE),
    "empty": Kind(
        Text("the file has no data", "فایل داده‌ای ندارد"),
        Text("Export the data again and check that the export includes the rows, not only the header.",
             "دوباره از داده‌ها خروجی بگیرید و مطمئن شوید خروجی افزون بر سرستون، سطرها را هم دارد."),
    ),
    "too_many_invalid_rows": Kind(Text("too many rows failed", "سطرهای ردشده بیش از حد مجاز است"), _FIX_ROWS),
    "no_valid_rows": Kind(Text("no row passed", "هیچ سطری پذیرفته نشد"), _FIX_ROWS),
    "not_found": Kind(
        Text("the file was not found", "فایل پیدا نشد"),
        Text("Check the path or address.", "مسیر یا نشانی را بررسی کنید."),
    ),
    "suspicious_shrink": Kind(
        Text("far fewer rows than the last good file", "سطرها بسیار کمتر از آخرین فایل پذیرفته‌شده است"),
        Text("If the smaller file is right, an operator accepts it with 'shafaf harvest --accept-shrink <agency>'.",
             "اگر فایل کوچک‌تر درست است، گرداننده با «shafaf harvest --accept-shrink <دستگاه>» آن را می‌پذیرد."),
    ),
    # Issue 22 (the "check my file" page refuses an upload past its caps, or an archive, like a harvest does).
    "too_large": Kind(
        Text("the file is larger than the limit", "فایل بزرگ‌تر از حد مجاز است"),
        Text("Check a smaller part of the file (fewer rows), or ask the portal's operator about the limit.",
             "بخش کوچک‌تری از فایل (سطرهای کمتر) را بررسی کنید، یا درباره این حد از گرداننده درگاه بپرسید."),
    ),
    "archive_rejected": Kind(
        Text("the archive cannot be opened safely", "فایل فشرده را نمی‌توان بی‌خطر باز کرد"),
        Text("Send the data file itself, or a zip holding exactly one CSV, XLSX or JSON file.",
             "خود فایل داده را بفرستید، یا فایل zip که فقط یک فایل CSV، XLSX یا JSON دارد."),
    ),
}

_FETCH = Kind(
    Text("the file could not be fetched", "فایل از نشانی دریافت نشد"),
    Text("Check the address, that the server answers, and that it serves the file itself (not a web page).",
         "نشانی را بررسی کنید، و اینکه کارساز پاسخ می‌دهد و خود فایل را می‌فرستد (نه یک صفحه وب)."),
)
_UNKNOWN = Kind(
    Text("problem", "مشکل"),
    Text("See the message for what is wrong.", "برای جزئیات به پیام نگاه کنید."),
)


def kind_of(error_type: str) -> Kind:
    """The catalogue entry of a row or header error type (a generic one for types we have not named)."""
    return ERROR_TYPES.get(error_type) or FATAL_REASONS.get(error_type) or _UNKNOWN


def fatal_kind(reason: str) -> Kind:
    """The catalogue entry of a reason a whole file was refused or could not be fetched."""
    if reason in FATAL_REASONS:
        return FATAL_REASONS[reason]
    return _FETCH if reason.startswith("http_") or reason not in ERROR_TYPES else ERROR_TYPES[reason]


# --- row and cell messages ------------------------------------------------------------------

_TYPE_WORDS = {
    "integer": Text("a whole number", "عدد صحیح"),
    "number": Text("a number", "عدد"),
    "date": Text("a date", "تاریخ"),
    "datetime": Text("a date and time", "تاریخ و زمان"),
    "year": Text("a year", "سال"),
    "yearmonth": Text("a year and month", "سال و ماه"),
    "boolean": Text("yes or no", "بله یا خیر"),
    "uri": Text("a web address", "نشانی وب"),
    "string": Text("text", "متن"),
}

# What to write instead, where the type alone does not say it.
_TYPE_HINTS = {
    "boolean": Text(" (write yes/no, true/false, 1/0 or بله/خیر)", " (بنویسید بله/خیر، yes/no، true/false یا 1/0)"),
    "date": Text(" (write e.g. 1402/07/15 or 2024-03-05)", " (مثلاً بنویسید ۱۴۰۲/۰۷/۱۵ یا 2024-03-05)"),
}

# Patterns of the standard, said in words.
_PATTERNS = {
    "^[a-z0-9-]{1,64}$": Text("lowercase Latin letters, digits and hyphens, at most 64",
                              "حروف کوچک لاتین، رقم و خط تیره، حداکثر ۶۴ نویسه"),
    "^[A-Za-z0-9._-]{1,64}$": Text("Latin letters, digits, '.', '_' and '-', no spaces, at most 64",
                                   "حروف لاتین، رقم، نقطه، زیرخط و خط تیره، بی فاصله، حداکثر ۶۴ نویسه"),
    "^https?://.+": Text("a web address starting with http:// or https://", "نشانی وبی که با http:// یا https:// آغاز شود"),
    "^[a-z][a-z0-9_]{0,63}$": Text("a lowercase Latin letter, then lowercase letters, digits or '_', at most 64",
                                   "یک حرف کوچک لاتین و پس از آن حروف کوچک لاتین، رقم یا زیرخط، حداکثر ۶۴ نویسه"),
}


_UNPIVOT = re.compile(r"\(for (\w+)=(.+?)\)")


def _type_error(dataset: str, field: str | None, value: str, facts: Mapping[str, Any]) -> Text:
    spec = _fields(dataset).get(field or "", {})
    ftype = "uri" if spec.get("format") == "uri" else spec.get("type", "")
    word = _TYPE_WORDS.get(ftype, Text(ftype or "valid", ftype or "معتبر"))
    found = _UNPIVOT.search(str(facts.get("detail") or ""))
    unpivot = found.groups() if found else None  # (field, meaning) of an unpivoted column
    where_en = f" (for {unpivot[0]}={unpivot[1]})" if unpivot else ""
    where_fa = f" (برای {unpivot[0]}={unpivot[1]})" if unpivot else ""
    if unpivot and not ftype:
        word = _TYPE_WORDS["number"]
    hint = _TYPE_HINTS.get(ftype, Text("", ""))
    return Text(
        _prefixed(_subject(dataset, field, "en"), f"{quote(value, 'en')}{where_en} is not {word.en}{hint.en}", "en"),
        _prefixed(_subject(dataset, field, "fa"), f"{quote(value, 'fa')}{where_fa} {word.fa} نیست{hint.fa}", "fa"),
    )


def _constraint_error(dataset: str, field: str | None, value: str, facts: Mapping[str, Any]) -> Text:
    spec = _fields(dataset).get(field or "", {})
    constraints = spec.get("constraints", {})
    which = facts.get("constraint") or ""
    limit = constraints.get(which)
    en_subject, fa_subject = _subject(dataset, field, "en"), _subject(dataset, field, "fa")
    q_en, q_fa = quote(value, "en"), quote(value, "fa")
    if which == "required":
        return Text(f"{en_subject or 'This column'} is required but the cell is empty",
                    f"{fa_subject or 'این ستون'} الزامی است ولی خانه خالی است")
    if which in ("minimum", "exclusiveMinimum"):
        en = f"{q_en} is below the minimum of {limit}" if which == "minimum" else f"{q_en} must be more than {limit}"
        fa = (f"{q_fa} کمتر از کمینه مجاز ({num(limit, 'fa')}) است" if which == "minimum"
              else f"{q_fa} باید بیشتر از {num(limit, 'fa')} باشد")
    elif which in ("maximum", "exclusiveMaximum"):
        en = f"{q_en} is above the maximum of {limit}" if which == "maximum" else f"{q_en} must be less than {limit}"
        fa = (f"{q_fa} بیشتر از بیشینه مجاز ({num(limit, 'fa')}) است" if which == "maximum"
              else f"{q_fa} باید کمتر از {num(limit, 'fa')} باشد")
    elif which == "enum":
        allowed = [str(v) for v in limit or []]
        en = f"{q_en} is not one of the allowed values ({_join(allowed, 'en')})"
        fa = f"{q_fa} از مقادیر مجاز نیست ({_join(allowed, 'fa')})"
    elif which == "pattern":
        form = _PATTERNS.get(str(limit), Text(f"matching {limit}", f"مطابق الگوی {limit}"))
        en = f"{q_en} is not in the required form: {form.en}"
        fa = f"{q_fa} قالب درستی ندارد؛ قالب مجاز: {form.fa}"
    elif which == "maxLength":
        en = f"the value is longer than {limit} characters"
        fa = f"مقدار بیش از {num(limit, 'fa')} نویسه است"
    elif which == "minLength":
        en = f"the value is shorter than {limit} characters"
        fa = f"مقدار کمتر از {num(limit, 'fa')} نویسه است"
    else:
        en = f"{q_en} breaks the rule {which or 'of the column'}" + (f" ({limit})" if limit is not None else "")
        fa = f"{q_fa} قاعده {which or 'ستون'} را رعایت نمی‌کند" + (f" ({limit})" if limit is not None else "")
    return Text(_prefixed(en_subject, en, "en"), _prefixed(fa_subject, fa, "fa"))


def _missing_cell(facts: Mapping[str, Any]) -> Text:
    col, label = facts.get("column_number"), facts.get("label") or ""
    cells, width = facts.get("cells"), facts.get("header_width")
    en = f"the row ends before column {col}" + (f" ({quote(label, 'en')})" if label else "")
    fa = f"سطر پیش از ستون {num(col, 'fa')}" + (f" ({quote(label, 'fa')})" if label else "") + " تمام شده است"
    if cells is not None and width is not None:
        en += f": it has {cells} cells, the header has {width} columns"
        fa += f": {num(cells, 'fa')} خانه دارد و سرستون {num(width, 'fa')} ستون"
    return Text(en[0].upper() + en[1:], fa)


def _extra_cell(value: str, facts: Mapping[str, Any]) -> Text:
    col, width = facts.get("column_number"), facts.get("header_width")
    if width is not None:
        return Text(f"Value {quote(value, 'en')} in column {col}, past the header's {width} columns",
                    f"مقدار {quote(value, 'fa')} در ستون {num(col, 'fa')}، بیرون از {num(width, 'fa')} ستون سرستون")
    return Text(f"Value {quote(value, 'en')} in column {col}, past the last column of the header",
                f"مقدار {quote(value, 'fa')} در ستون {num(col, 'fa')}، بیرون از آخرین ستون سرستون")


def _primary_key(dataset: str, facts: Mapping[str, Any]) -> Text:
    fields = list(facts.get("key_fields") or [])
    values = [str(v) for v in facts.get("key_values") or []]
    first = facts.get("first_row")
    en_keys = _join((field_title(dataset, f, "en") for f in fields), "en")
    fa_keys = _join((field_title(dataset, f, "fa") for f in fields), "fa")
    return Text(
        f"Same key ({en_keys}: {_join(values, 'en')}) as row {first}",
        f"کلید این سطر ({fa_keys}: {_join(values, 'fa')}) همان کلید سطر {num(first, 'fa')} است",
    )


def _foreign_key(facts: Mapping[str, Any], value: str) -> Text:
    agency = facts.get("agency_id")
    if agency:
        return Text(f"Service {quote(value, 'en')} is not in the services list of agency {quote(agency, 'en')}",
                    f"خدمت {quote(value, 'fa')} در فهرست خدمات دستگاه {quote(agency, 'fa')} نیست")
    return Text(f"Service {quote(value, 'en')} is not in this agency's services list",
                f"خدمت {quote(value, 'fa')} در فهرست خدمات این دستگاه نیست")


def _cross_field(dataset: str, field: str | None, value: str, facts: Mapping[str, Any]) -> Text:
    other, other_value = facts.get("other"), facts.get("other_value", "")
    a_en, b_en = field_title(dataset, field, "en"), field_title(dataset, other, "en")
    a_fa, b_fa = field_title(dataset, field, "fa"), field_title(dataset, other, "fa")
    if facts.get("rule") == "before":
        return Text(f"{a_en} ({quote(value, 'en')}) is before {b_en} ({quote(other_value, 'en')})",
                    f"«{a_fa}» ({quote(value, 'fa')}) پیش از «{b_fa}» ({quote(other_value, 'fa')}) است")
    return Text(f"{a_en} ({quote(value, 'en')}) is larger than {b_en} ({quote(other_value, 'en')})",
                f"«{a_fa}» ({quote(value, 'fa')}) بیشتر از «{b_fa}» ({quote(other_value, 'fa')}) است")


# What normalize says about a date or period it cannot read, in Persian.
_DATE_DETAILS_FA: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"month (\d+) is not between 1 and 12"), "ماه {0} بین ۱ و ۱۲ نیست"),
    (re.compile(r"year (\d+) is neither a Jalali"), "سال {0} نه سال شمسی (۱۳۰۰ تا ۱۴۹۹) است و نه میلادی (۱۹۰۰ تا ۲۰۹۹)"),
    (re.compile(r"year (\d+) looks (\w+) but the source's calendar is (\w+)"), "سال {0} به سال {1} می‌ماند ولی تقویم منبع {2} است"),
    (re.compile(r"is not a valid (\w+) date"), "چنین روزی در تقویم {0} نیست"),
    (re.compile(r"two-digit year"), "سال دورقمی است؛ سال را کامل بنویسید (مثلاً ۱۴۰۲)"),
    (re.compile(r"the period is empty"), "دوره خالی است"),
]
_CALENDARS_FA = {"jalali": "شمسی", "gregorian": "میلادی", "Jalali": "شمسی", "Gregorian": "میلادی"}


def _date_error(dataset: str, field: str | None, value: str, error_type: str, facts: Mapping[str, Any]) -> Text:
    detail = str(facts.get("detail") or "")
    subject_en, subject_fa = _subject(dataset, field, "en"), _subject(dataset, field, "fa")
    if error_type == "period-error":
        fallback_fa = f"{quote(value, 'fa')} دوره‌ای نیست که درگاه بخواند (مانند ۱۴۰۲-۰۷، 2024-03، 2023-2024 یا ۱۴۰۲)"
        en = detail or f"{quote(value, 'en')} is not a period this portal reads (e.g. 2024-03, 1402-07, 2023-2024, 1402)"
    else:
        fallback_fa = f"{quote(value, 'fa')} تاریخی نیست که درگاه بخواند (مانند ۱۴۰۲/۰۷/۱۵ یا 2024-03-05)"
        en = detail or f"{quote(value, 'en')} is not a date like 2024-03-05 or 1402/07/15"
    if value.strip() and value.strip() not in en:
        en = f"{quote(value, 'en')}: {en}"  # the detail says what is wrong; the reader also needs what was written
    fa = fallback_fa
    for pattern, template in _DATE_DETAILS_FA:
        m = pattern.search(detail)
        if m:
            parts = [_CALENDARS_FA.get(g, num(g, "fa") if g.isdigit() else g) for g in m.groups()]
            fa = f"{quote(value, 'fa')}: {template.format(*parts)}"
            break
    return Text(_prefixed(subject_en, en, "en"), _prefixed(subject_fa, fa, "fa"))


def _header_error(error_type: str, facts: Mapping[str, Any]) -> Text:
    col, label = facts.get("column_number"), facts.get("label") or ""
    if error_type == "blank-label":
        return Text(f"Column {col} has no name, so it is matched to no field of the standard",
                    f"ستون {num(col, 'fa')} نام ندارد و به هیچ فیلد استاندارد نسبت داده نمی‌شود")
    first = facts.get("first_column")
    return Text(f"Column {col} ({quote(label, 'en')}) has the same name as column {first}; "
                f"only column {first} is matched to the standard",
                f"ستون {num(col, 'fa')} ({quote(label, 'fa')}) هم‌نام ستون {num(first, 'fa')} است؛ "
                f"فقط ستون {num(first, 'fa')} به استاندارد نسبت داده می‌شود")


def row_error(dataset: str, error_type: str, field: str | None, value: str, **facts: Any) -> Text:
    """The message of one row, cell or header error, in both languages.

    ``facts`` are what the type needs: ``constraint`` (constraint-error),
    ``column_number``/``label``/``cells``/``header_width`` (structure and
    header), ``first_row``/``key_fields``/``key_values`` (primary-key),
    ``agency_id`` (foreign-key), ``other``/``other_value``/``rule``
    (cross-field), ``detail`` (date-error, period-error, wrong-agency and
    any type without its own wording: frictionless' English message).
    """
    if error_type == "type-error":
        return _type_error(dataset, field, value, facts)
    if error_type == "constraint-error":
        return _constraint_error(dataset, field, value, facts)
    if error_type == "missing-cell":
        return _missing_cell(facts)
    if error_type == "extra-cell":
        return _extra_cell(value, facts)
    if error_type in ("primary-key", "unique-error") and facts.get("first_row"):
        return _primary_key(dataset, facts)
    if error_type == "foreign-key":
        return _foreign_key(facts, value)
    if error_type == "cross-field":
        return _cross_field(dataset, field, value, facts)
    if error_type in ("date-error", "period-error"):
        return _date_error(dataset, field, value, error_type, facts)
    if error_type == "wrong-agency":
        expected = facts.get("expected")
        return Text(f"Agency: the row belongs to agency {quote(value, 'en')}, not {quote(expected, 'en')}",
                    f"«{field_title(dataset, 'agency_id', 'fa')}»: این سطر از دستگاه {quote(value, 'fa')} است، نه {quote(expected, 'fa')}")
    if error_type in ("blank-label", "duplicate-label"):
        return _header_error(error_type, facts)
    if error_type == "blank-row":
        return Text("The row is blank and was skipped", "سطر خالی است و نادیده گرفته شد")
    name = kind_of(error_type).name
    detail = str(facts.get("detail") or name.en)
    # A type without its own wording: its plain name, the value, and the reader's or frictionless' words.
    fa = f"{name.fa}: {quote(value, 'fa')}" if value.strip() else f"{name.fa} ({detail})"
    return Text(_prefixed(_subject(dataset, field, "en"), detail, "en"), _prefixed(_subject(dataset, field, "fa"), fa, "fa"))


# --- whole-file messages ------------------------------------------------------------------------

_MISSING = re.compile(r"has no column (?P<missing>.+?) required by the .+?; its columns are: (?P<columns>.*)$", re.S)


def _guillemets(names: str) -> str:
    """``'a', 'b (for c)' and 3 more`` as Persian writes it: «a»، «b (for c)» و ۳ ستون دیگر."""
    names = re.sub(r" and ([\d,]+) more$", lambda m: f" و {num(m[1], 'fa')} ستون دیگر", names)
    return re.sub(r"'([^']*)'", r"«\1»", names).replace(", ", "، ")


def fatal_message(reason: str, detail: str, *, file: str, dataset: str, **facts: Any) -> Text:
    """Why a whole file was refused, in both languages; English is ``detail`` (what the code that refused it said)."""
    kind = fatal_kind(reason)
    ds_fa = dataset_title(dataset, "fa")
    name_fa = f"«{file}»"
    if reason == Reason.MISSING_COLUMN:
        m = _MISSING.search(detail)
        if m:
            missing, columns = _guillemets(m["missing"]), _guillemets(m["columns"])
            return Text(detail, f"فایل {name_fa} ستون {missing} را ندارد که استاندارد «{ds_fa}» لازم دارد؛ "
                                f"ستون‌های فایل: {columns or 'هیچ'}")
    if reason == Reason.TOO_MANY_INVALID_ROWS and "rows_failed" in facts:
        return Text(detail or f"{facts['rows_failed']} of {facts['rows_read']} rows of {file} failed validation",
                    f"{num(facts['rows_failed'], 'fa', grouped=True)} سطر از {num(facts['rows_read'], 'fa', grouped=True)} سطر فایل "
                    f"{name_fa} رد شد، بیش از آنچه درگاه می‌پذیرد؛ آخرین داده‌های پذیرفته‌شده منتشر می‌مانند")
    if reason == Reason.NO_VALID_ROWS and "rows_read" in facts:
        return Text(detail or f"none of the {facts['rows_read']} rows of {file} passed validation",
                    f"هیچ‌یک از {num(facts['rows_read'], 'fa', grouped=True)} سطر فایل {name_fa} از بررسی نگذشت؛ "
                    f"آخرین داده‌های پذیرفته‌شده منتشر می‌مانند")
    fa = f"{name_fa}: {kind.name.fa}"
    if detail:
        fa += f" (جزئیات: {detail})"
    return Text(detail or kind.name.en, fa)
