"""The contract catalogue: every request this project promises an answer to, as data.

One place for the contract's rows, the hostile inputs and the edge cases. Three
runners read it:

- ``tests/e2e/test_contract_catalogue.py`` sends it to a real ``chalice local``;
- ``tests/infra/test_parity.py`` renders the stack's mapping templates and
  gateway responses over it (with a model of AWS and with LocalStack's engine);
- ``make smoke URL=https://<id>.execute-api.<region>.amazonaws.com/api/`` sends it
  to a deployed stack (``tests/support/smoke.py``) and prints a table.

A case's ``target`` is the path under the API's base URL exactly as sent
(percent-encoding included; characters above ``\\x7f`` are sent as single
bytes). ``deploy`` says what only a deployed stack settles about a case: its
expectation is this project's reading of AWS's documentation, which the
deployed answer confirms or refutes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.async_api import contract
from chalicelib.square.arithmetic import MAX_NUMBER_LENGTH

SQUARE_KEY = "square_of_your_number_is"


@dataclass(frozen=True)
class Case:
    """One request and the answer it must get."""

    name: str
    target: str
    status: int
    #: The body's ``error``; for an error status without one, only the status is checked.
    error: str | None = None
    #: A fragment of the body's ``message``.
    says: str = ""
    #: A 200's result: its key and the exact JSON text of its value.
    result: tuple[str, str] | None = None
    headers: tuple[tuple[str, str], ...] = ()
    method: str = "GET"
    #: Sent over HTTP/2 (TLS, ALPN h2), where header names are lower-case.
    http2: bool = False
    #: What only a deployed stack settles about this case (empty: every runtime does).
    deploy: str = ""

    @property
    def expected(self) -> str:
        """The expectation, one short line for a table."""
        detail = self.error or (f"{self.result[0]}={self.result[1][:24]}" if self.result else "")
        if self.method == "HEAD":
            detail = "no body"
        return f"{self.status} {detail}".strip()


def square(number: str, value: str, **options: Any) -> Case:
    """A synchronous square that must come out exactly as ``value``."""
    return Case(
        f"square {number[:24]}", f"square/{number}", 200, result=(SQUARE_KEY, value), **options
    )


def invocation(name: str, *headers: tuple[str, str], status: int, **options: Any) -> Case:
    """``GET square/7`` with these header lines."""
    error = "InvalidInvocationType" if status == 400 else None
    return Case(name, "square/7", status, error=error, headers=headers, **options)


def bad_number(name: str, target: str, says: str = "", **options: Any) -> Case:
    """A path whose number is refused with a 400 that says why."""
    return Case(name, target, 400, "InvalidNumber", says, **options)


def no_route(name: str, target: str = "square/2", method: str = "GET") -> Case:
    """A method and path no route declares: the gateway's 404."""
    return Case(name, target, 404, contract.NO_ROUTE.error, method=method)


LONGEST = "9" * (MAX_NUMBER_LENGTH - 1)
ENTITY_TOO_LARGE_SETTLED = (
    "AWS documents the limit, not the status past it: 431 (RFC 6585) is this project's choice"
)

CASES: tuple[Case, ...] = (
    # The contract's rows: exact squares, now (200) or later (202).
    square("2", "4"),
    square("-3", "9"),
    square("+12.50", "156.25"),
    square("0.1", "0.01"),
    square("1.50", "2.25"),
    square("2.0", "4"),
    square("0.0001", "1E-8"),
    square("3.14159265", "9.8696043785340225"),
    square("0." + "0" * 997 + "1", "1E-1996"),
    square("-" + LONGEST, str(int(LONGEST) ** 2)),
    square("1%2e5", "2.25"),
    square("%2B12.50", "156.25"),
    invocation("Event", ("InvocationType", "Event"), status=202),
    invocation("RequestResponse", ("InvocationType", "RequestResponse"), status=200),
    invocation("lower-case name, HTTP/1.1", ("invocationtype", "Event"), status=202),
    invocation("upper-case name", ("INVOCATIONTYPE", "Event"), status=202),
    invocation(
        "lower-case name, HTTP/2",
        ("invocationtype", "Event"),
        status=202,
        http2=True,
        deploy="HTTP/2 sends every header name lower-case; chalice local speaks HTTP/1.1 only",
    ),
    invocation(
        "lower-case RequestResponse, HTTP/2",
        ("invocationtype", "RequestResponse"),
        status=200,
        http2=True,
        deploy="HTTP/2 sends every header name lower-case; chalice local speaks HTTP/1.1 only",
    ),
    invocation("value with optional whitespace", ("InvocationType", " Event\t"), status=202),
    invocation(
        "repeated header, Event last",
        ("InvocationType", "RequestResponse"),
        ("InvocationType", "Event"),
        status=202,
        deploy="which value API Gateway's single-value views keep is not documented (README)",
    ),
    invocation(
        "repeated header, RequestResponse last",
        ("InvocationType", "Event"),
        ("InvocationType", "RequestResponse"),
        status=200,
        deploy="which value API Gateway's single-value views keep is not documented (README)",
    ),
    Case(
        "bad number, Event: accepted, its record carries the 400",
        "square/abc",
        202,
        headers=(("InvocationType", "Event"),),
    ),
    # InvocationType values Lambda would not take: a 400, never a 500.
    invocation(
        "lower-case value event",
        ("InvocationType", "event"),
        status=400,
        deploy="on AWS the function itself refuses it, after the template's override",
    ),
    invocation(
        "DryRun",
        ("InvocationType", "DryRun"),
        status=400,
        deploy="on AWS the function itself refuses it, after the template's override",
    ),
    invocation(
        "unknown value",
        ("InvocationType", "Sometimes"),
        status=400,
        deploy="on AWS the function itself refuses it, after the template's override",
    ),
    invocation("empty value", ("InvocationType", ""), status=400),
    invocation("control character", ("InvocationType", "Event\x01"), status=400, says="\\x01"),
    invocation("latin-1 value", ("InvocationType", "\xc9vent"), status=400),
    invocation("long value", ("InvocationType", "E" * 8000), status=400, says="..."),
    # The path parameter is the whole segment, as sent, decoded once.
    bad_number("';' parameter kept in the segment", "square/2;5", "2;5"),
    bad_number(
        "percent-encoded slash",
        "square/1%2F2",
        "plain number",
        deploy="whether API Gateway routes a %2F inside a segment to the route, as one segment",
    ),
    bad_number("invalid UTF-8 escapes", "square/%ff%fe", "not UTF-8"),
    bad_number("raw byte 0xFF", "square/\xff", "plain number"),
    bad_number("overlong UTF-8 '1'", "square/%c0%b1", "not UTF-8"),
    bad_number("Arabic-Indic three", "square/%D9%A3", "ASCII digits"),
    bad_number("fullwidth one", "square/%EF%BC%91", "ASCII digits"),
    bad_number("superscript five", "square/%E2%81%B5", "ASCII digits"),
    bad_number("double-encoded digit", "square/%2533", "plain number"),
    bad_number("NUL", "square/%00", "plain number"),
    bad_number("CRLF injection", "square/2%0d%0aX-Evil:%201"),
    bad_number("trailing newline", "square/2%0a", "whitespace"),
    bad_number("leading tab", "square/%092", "whitespace"),
    bad_number("only spaces", "square/%20%20", "whitespace"),
    bad_number(
        "one digit over the limit",
        "square/" + "9" * (MAX_NUMBER_LENGTH + 1),
        f"the limit is {MAX_NUMBER_LENGTH}",
    ),
    bad_number("4,301 digits", "square/" + "7" * 4301, "limit"),
    bad_number("exponent bomb", "square/1e999999999", "exponent"),
    bad_number("negative exponent bomb", "square/1E-999999999", "exponent"),
    bad_number("hex float", "square/0x1p3", "base-10"),
    bad_number("NaN", "square/NaN", "NaN and Infinity"),
    bad_number("signalling NaN", "square/-sNaN", "NaN and Infinity"),
    bad_number("Infinity", "square/Infinity", "NaN and Infinity"),
    bad_number("digit separators", "square/1_000", "separators"),
    bad_number("bare point", "square/.5", "each side"),
    bad_number("JSON injection", "square/1%22,%22x%22:%221", ""),
    bad_number("template injection", "square/$context.requestId", "plain number"),
    # What no route declares: the gateway answers, no function runs.
    no_route("no number", "square/"),
    no_route("unknown path", "nope"),
    no_route("POST", method="POST"),
    no_route("DELETE", method="DELETE"),
    no_route("OPTIONS", method="OPTIONS"),
    Case("HEAD", "square/2", 404, method="HEAD"),
    Case(
        "Content-Type text/plain",
        "square/2",
        415,
        contract.UNSUPPORTED_MEDIA_TYPE.error,
        headers=(("Content-Type", "text/plain"),),
    ),
    Case(
        "Content-Type application/json",
        "square/2",
        200,
        result=(SQUARE_KEY, "4"),
        headers=(("Content-Type", "application/json"),),
    ),
    Case(
        "Content-Type with a charset",
        "square/2",
        200,
        result=(SQUARE_KEY, "4"),
        headers=(("Content-Type", "application/json; charset=utf-8"),),
        deploy="whether API Gateway selects the JSON template when the media type has parameters",
    ),
    # API Gateway's limits: a Regional REST API's URL, the header values' total.
    Case(
        "header values over 10240 bytes",
        "square/2",
        431,
        headers=(("User-Agent", "u" * 10300),),
        deploy=ENTITY_TOO_LARGE_SETTLED,
    ),
    Case(
        "header values within 10240 bytes",
        "square/2",
        200,
        result=(SQUARE_KEY, "4"),
        headers=(("User-Agent", "u" * 9000),),
    ),
    Case(
        "URL over 10240 characters",
        "square/2?" + "q" * 10300,
        414,
        deploy="AWS documents the limit, not the status past it: 414 (RFC 9110) is this "
        "project's choice",
    ),
)

#: The fixture project's second function (docs/add-your-own-endpoint.md's): two parameters.
REPORT_CASES: tuple[Case, ...] = (
    Case("report", "reports/acme/2026-02", 200, result=("days", "28")),
    Case(
        "report, lower-case RequestResponse",
        "reports/acme/2024-02",
        200,
        result=("days", "29"),
        headers=(("invocationtype", "RequestResponse"),),
    ),
    Case("report, Event", "reports/acme/2026-11", 202, headers=(("InvocationType", "Event"),)),
    Case("report, bad account", "reports/ACME/2026-11", 400, "InvalidAccount"),
    Case("report, bad month", "reports/acme/2026-13", 400, "InvalidMonth"),
    Case("report, month not UTF-8", "reports/acme/%FF", 400, "InvalidMonth"),
    Case("report, space in account", "reports/ac%20me/2026-11", 400, "InvalidAccount"),
    Case(
        "report, quotes, Event",
        "reports/a%22c%5C/2026-11",
        202,
        headers=(("InvocationType", "Event"),),
    ),
    Case(
        "report, DryRun",
        "reports/acme/2026-11",
        400,
        "InvalidInvocationType",
        headers=(("InvocationType", "DryRun"),),
    ),
    Case("report, one segment short", "reports/acme", 404, contract.NO_ROUTE.error),
)
