"""One exception tree and one vocabulary (issue 17): what a user can cause is a ShafafError, reasons are Reasons.

The tree drawn in core/errors.py's docstring must name every class there; a
period that cannot be read, downloads that cannot be written and a CKAN
request CKAN would refuse are ShafafErrors (so the CLI's one handler turns
them into a message); an HTTP status is a Reason like any other; and a
registry setting a later stage would refuse is refused by the registry.
"""

from __future__ import annotations

import inspect

import pytest

from shafaf.config import registry
from shafaf.core import errors
from shafaf.core.errors import ActionError, ExportError, PeriodError, RegistryError, ShafafError
from shafaf.core.models import Reason, http_reason
from shafaf.datasette_plugins.ckan.params import natural
from shafaf.normalize import parse_period
from shafaf.publish import exports


def test_the_drawn_tree_names_every_error_class_and_each_derives_from_shafaf_error():
    classes = [
        c
        for _, c in inspect.getmembers(errors, inspect.isclass)
        if issubclass(c, Exception) and c.__module__ == errors.__name__
    ]
    assert {ActionError, ExportError, PeriodError} <= set(classes)
    for cls in classes:
        assert issubclass(cls, ShafafError), cls
        assert cls is ShafafError or cls.__name__.startswith("_") or f"── {cls.__name__}" in errors.__doc__, cls


def test_errors_a_user_causes_are_shafaf_errors_where_they_are_raised(tmp_path):
    with pytest.raises(ShafafError):
        parse_period("sometime", calendar=None)
    with pytest.raises(ValueError):  # still: a refused cell, caught where cells are read
        parse_period("sometime", calendar=None)
    with pytest.raises(ShafafError):
        exports.write_exports(tmp_path / "none.db", tmp_path / "downloads", registry=None)
    with pytest.raises(ShafafError):
        natural({"rows": "-1"}, "rows", 10)


def test_an_http_status_is_a_reason_and_the_members_stay_the_named_ones():
    named = list(Reason)
    reason = http_reason(503)
    assert isinstance(reason, Reason) and reason == "http_503" and Reason("http_503") is reason
    assert list(Reason) == named and "http_503" not in [r.value for r in Reason]
    for bad in ("http_99", "http_600", "http_5030", "https_503", "nope"):
        with pytest.raises(ValueError):
            Reason(bad)


def test_a_duplicate_threshold_publishing_would_refuse_is_refused_by_the_registry(tmp_path):
    path = tmp_path / "agencies.yml"
    path.write_text(
        "portal:\n  duplicate_threshold: 0\nagencies:\n  - {id: a, name_fa: ا, name_en: A}\n", encoding="utf-8"
    )
    with pytest.raises(RegistryError, match=r"agencies.yml:2: duplicate_threshold must be a number from 0.01 to 1"):
        registry.load(path)
