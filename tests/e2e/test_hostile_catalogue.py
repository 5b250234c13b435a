"""A catalogue of hostile requests, each with the exact answer it must get.

Sent byte for byte to a real `chalice local`, past what an HTTP client would
normalise. The table is the specification: status, error code, and a fragment
of the message that tells the client what was wrong.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from chalicelib.square.arithmetic import MAX_NUMBER_LENGTH
from tests.support.chalice_local import ChaliceLocal
from tests.support.raw_http import raw_get

pytestmark = pytest.mark.e2e


@dataclass(frozen=True)
class Hostile:
    name: str
    target: bytes
    status: int
    error: str | None = None
    says: str = ""
    headers: dict[str, str] = field(default_factory=dict)


CATALOGUE = [
    # Encodings
    Hostile("invalid UTF-8 escapes", b"/square/%ff%fe", 400, "InvalidNumber", "not UTF-8"),
    Hostile("raw byte 0xFF", b"/square/\xff", 400, "InvalidNumber", "plain number"),
    Hostile("overlong UTF-8 '1'", b"/square/%c0%b1", 400, "InvalidNumber", "not UTF-8"),
    Hostile("Arabic-Indic three", b"/square/%D9%A3", 400, "InvalidNumber", "ASCII digits"),
    Hostile("fullwidth one", b"/square/%EF%BC%91", 400, "InvalidNumber", "ASCII digits"),
    Hostile("superscript five", b"/square/%E2%81%B5", 400, "InvalidNumber", "ASCII digits"),
    Hostile("percent-encoded point", b"/square/1%2e5", 200),
    Hostile("percent-encoded slash", b"/square/1%2F2", 400, "InvalidNumber", "plain number"),
    Hostile("double-encoded digit", b"/square/%2533", 400, "InvalidNumber", "plain number"),
    # Control characters and whitespace
    Hostile("NUL", b"/square/%00", 400, "InvalidNumber", "plain number"),
    Hostile("CRLF injection", b"/square/2%0d%0aX-Evil:%201", 400, "InvalidNumber", ""),
    Hostile("trailing newline", b"/square/2%0a", 400, "InvalidNumber", "whitespace"),
    Hostile("leading tab", b"/square/%092", 400, "InvalidNumber", "whitespace"),
    Hostile("only spaces", b"/square/%20%20", 400, "InvalidNumber", "whitespace"),
    # Enormous numbers and exponent bombs
    Hostile(
        "one digit over the limit",
        b"/square/" + b"9" * (MAX_NUMBER_LENGTH + 1),
        400,
        "InvalidNumber",
        f"the limit is {MAX_NUMBER_LENGTH}",
    ),
    Hostile("4,301 digits", b"/square/" + b"7" * 4301, 400, "InvalidNumber", "limit"),
    Hostile("the longest accepted", b"/square/-" + b"9" * (MAX_NUMBER_LENGTH - 1), 200),
    Hostile("exponent bomb", b"/square/1e999999999", 400, "InvalidNumber", "exponent"),
    Hostile("negative exponent bomb", b"/square/1E-999999999", 400, "InvalidNumber", "exponent"),
    Hostile("hex float", b"/square/0x1p3", 400, "InvalidNumber", "base-10"),
    Hostile("NaN", b"/square/NaN", 400, "InvalidNumber", "NaN and Infinity"),
    Hostile("signalling NaN", b"/square/-sNaN", 400, "InvalidNumber", "NaN and Infinity"),
    Hostile("Infinity", b"/square/Infinity", 400, "InvalidNumber", "NaN and Infinity"),
    Hostile("digit separators", b"/square/1_000", 400, "InvalidNumber", "separators"),
    Hostile("bare point", b"/square/.5", 400, "InvalidNumber", "each side"),
    Hostile("JSON injection", b"/square/1%22,%22x%22:%221", 400, "InvalidNumber", ""),
    # Odd InvocationType values
    Hostile(
        "lower-case value",
        b"/square/2",
        400,
        "InvalidInvocationType",
        "not accepted",
        {"InvocationType": "event"},
    ),
    Hostile(
        "DryRun",
        b"/square/2",
        400,
        "InvalidInvocationType",
        "not accepted",
        {"InvocationType": "DryRun"},
    ),
    Hostile(
        "empty value",
        b"/square/2",
        400,
        "InvalidInvocationType",
        "not accepted",
        {"InvocationType": ""},
    ),
    Hostile(
        "padded value",
        b"/square/2",
        400,
        "InvalidInvocationType",
        "not accepted",
        {"InvocationType": "Event\t"},
    ),
    Hostile(
        "control character",
        b"/square/2",
        400,
        "InvalidInvocationType",
        "\\x01",
        {"InvocationType": "Event\x01"},
    ),
    Hostile(
        "latin-1 value",
        b"/square/2",
        400,
        "InvalidInvocationType",
        "not accepted",
        {"InvocationType": "\xc9vent"},
    ),
    Hostile("upper-case header name", b"/square/2", 202, headers={"INVOCATIONTYPE": "Event"}),
    Hostile(
        "long value",
        b"/square/2",
        400,
        "InvalidInvocationType",
        "...",
        {"InvocationType": "E" * 8000},
    ),
    # Oversized headers: the HTTP server refuses them before the app sees them
    Hostile("64 KiB header", b"/square/2", 431, headers={"InvocationType": "E" * 65537}),
]


@pytest.fixture(scope="module")
def server() -> Iterator[ChaliceLocal]:
    with ChaliceLocal() as running:
        yield running


@pytest.mark.parametrize("hostile", CATALOGUE, ids=[h.name for h in CATALOGUE])
def test_hostile_request_gets_its_documented_answer(server: ChaliceLocal, hostile: Hostile) -> None:
    status, body = raw_get(server, hostile.target, hostile.headers)
    assert status == hostile.status, f"{hostile.name}: got {status}, body {body[:200]!r}"
    if hostile.error is None:
        return
    answer = json.loads(body)
    assert answer["error"] == hostile.error, f"{hostile.name}: {answer}"
    assert hostile.says in answer["message"], f"{hostile.name}: message was {answer['message']!r}"
    assert answer["accepted"], f"{hostile.name}: the answer must say what is accepted"
