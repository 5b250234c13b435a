"""The test-support emulation of API Gateway's ``$util`` behaves as documented."""

from __future__ import annotations

import json

import pytest

from tests.infra.vtl import escape_javascript


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        # The example of StringEscapeUtils.escapeJavaScript's documentation.
        ('He didn\'t say, "Stop!"', 'He didn\\\'t say, \\"Stop!\\"'),
        ("a/b\\c", "a\\/b\\\\c"),
        ("\b\t\n\f\r", "\\b\\t\\n\\f\\r"),
        ("\x00\x1f\x7f", "\\u0000\\u001F\x7f"),
        ("\u00e9\u2028", "\\u00E9\\u2028"),
        ("\U0001f600", "\\uD83D\\uDE00"),
        ("", ""),
    ],
    ids=ascii,
)
def test_escape_javascript_is_commons_lang(text: str, escaped: str) -> None:
    assert escape_javascript(text) == escaped


@pytest.mark.parametrize("text", ["it's", '"\\/', "\u0000\U0001f600\u2028", "\x7f"], ids=ascii)
def test_with_the_quote_fix_it_is_a_json_string(text: str) -> None:
    # AWS's documented idiom: escapeJavaScript(x).replaceAll("\\'", "'").
    assert json.loads('"' + escape_javascript(text).replace("\\'", "'") + '"') == text
