from __future__ import annotations

import pytest
from frictionless import Schema

from shafaf import standard


@pytest.mark.parametrize("kind", standard.DATASET_KINDS)
def test_schema_is_a_valid_table_schema(kind):
    report = Schema.validate_descriptor(standard.load_schema(kind))
    assert report.valid, report.flatten(["message"])


@pytest.mark.parametrize("kind", standard.DATASET_KINDS)
def test_every_field_is_titled_and_described_in_both_languages(kind):
    for field in standard.fields(kind):
        for key in ("title", "title_fa", "description", "description_fa"):
            assert field.get(key), f"{kind}.{field['name']} has no {key}"


@pytest.mark.parametrize("kind", standard.DATASET_KINDS)
def test_keys_are_required_fields(kind):
    assert set(standard.primary_key(kind)) <= set(standard.required_fields(kind))
    assert standard.field_names(kind)[0] == "agency_id"


def test_period_fields_are_shared():
    with_periods = [k for k in standard.DATASET_KINDS if standard.has_periods(k)]
    assert with_periods == ["service_performance", "service_standards", "targets"]
    for kind in with_periods:
        names = standard.field_names(kind)
        assert {"period_start", "period_end", "period_label"} <= set(names)
