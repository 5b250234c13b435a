"""JSON with exact decimals, as the Lambda runtime writes it."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.async_api.json_codec import RawJSON, dumps

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@given(json_values)
def test_plain_json_values_match_the_standard_module(value: object) -> None:
    assert dumps(value) == json.dumps(value)


@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_decimals_are_written_as_exact_numbers(value: Decimal) -> None:
    parsed = json.loads(dumps({"n": value}), parse_float=Decimal, parse_int=Decimal)
    assert parsed["n"] == value


def test_a_tenth_squared_is_written_without_float_noise() -> None:
    assert dumps({"square": Decimal("0.01")}) == '{"square": 0.01}'


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("Infinity"), float("nan")])
def test_non_finite_values_are_refused(value: object) -> None:
    with pytest.raises(ValueError):
        dumps(value)


def test_non_string_keys_are_written_as_the_json_module_writes_them() -> None:
    value = {True: 1, None: 2, 3: 4, 1.5: 5}
    assert dumps(value) == json.dumps(value)


def test_other_keys_are_refused() -> None:
    with pytest.raises(TypeError):
        dumps({(1, 2): 3})


values_with_decimals = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text()
    | st.decimals(allow_nan=False, allow_infinity=False),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@given(values_with_decimals)
def test_values_with_decimals_read_back_equal(value: object) -> None:
    # Decimals anywhere take the exact writer, the rest the standard module: both
    # must give JSON that reads back to the same values.
    assert json.loads(dumps(value), parse_float=Decimal) == value


def test_raw_json_is_written_as_it_is_wherever_it_sits() -> None:
    payload = RawJSON('{"n": 1E-1996, "s": "\u00e9"}')
    assert dumps({"record": [payload]}) == '{"record": [{"n": 1E-1996, "s": "\u00e9"}]}'
