"""API Gateway's edge as pure functions: limits, routes, media types, single header values."""

from __future__ import annotations

import re
import threading
from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.async_api import contract
from local_async import gateway

ROUTES = {"/square/{number}": ["GET"], "/reports/{account}/{month}": ["GET"]}


@pytest.mark.parametrize(
    ("target", "route", "parameters"),
    [
        ("/square/2", "/square/{number}", {"number": "2"}),
        ("/square/2;5", "/square/{number}", {"number": "2;5"}),
        ("/square/1%2F2", "/square/{number}", {"number": "1%2F2"}),
        ("/square/2/", "/square/{number}", {"number": "2"}),
        ("/square/2?x=1;y", "/square/{number}", {"number": "2"}),
        ("/reports/a/b", "/reports/{account}/{month}", {"account": "a", "month": "b"}),
    ],
)
def test_a_parameter_is_the_whole_segment_as_sent(
    target: str, route: str, parameters: dict[str, str]
) -> None:
    matched = gateway.Routes(ROUTES).match(target)
    assert matched is not None and (matched.route, matched.parameters) == (route, parameters)


@pytest.mark.parametrize("target", ["/square/", "/square", "/square//", "/nope", "/", "/reports/a"])
def test_paths_no_route_declares_match_nothing(target: str) -> None:
    assert gateway.Routes(ROUTES).match(target) is None


def test_a_literal_route_wins_over_a_parameter() -> None:
    for declared in ({"/a/{x}": ["GET"], "/a/b": ["GET"]}, {"/a/b": ["GET"], "/a/{x}": ["GET"]}):
        matched = gateway.Routes(declared).match("/a/b")
        assert matched is not None and matched.route == "/a/b", declared


@pytest.mark.parametrize(
    ("method", "target", "lines", "refused"),
    [
        ("GET", "/square/2", [], None),
        ("POST", "/square/2", [], contract.NO_ROUTE),
        ("HEAD", "/square/2", [], contract.NO_ROUTE),
        ("GET", "/square/", [], contract.NO_ROUTE),
        ("GET", "/square/2", [("Content-Type", "text/plain")], contract.UNSUPPORTED_MEDIA_TYPE),
        ("GET", "/square/2", [("content-type", "Application/JSON; charset=utf-8")], None),
        ("GET", "/square/2", [("User-Agent", "u" * 10240)], None),
        (
            "GET",
            "/square/2",
            [("User-Agent", "u" * 10000), ("X", "x" * 241)],
            gateway.HEADERS_TOO_LARGE,
        ),
        ("GET", "/square/2?" + "q" * 10230, [], None),
        ("GET", "/square/2?" + "q" * 10231, [], gateway.URI_TOO_LONG),
    ],
    ids=[
        "get",
        "post",
        "head",
        "no-number",
        "text",
        "json-charset",
        "10240",
        "10241",
        "url-max",
        "url-over",
    ],
)
def test_what_the_gateway_refuses(
    method: str, target: str, lines: list[tuple[str, str]], refused: contract.GatewayError | None
) -> None:
    assert refusal(gateway.Routes(ROUTES).screen(method, target, lines)) == refused


def refusal(screened: contract.GatewayError | gateway.Matched) -> contract.GatewayError | None:
    """The gateway's refusal, or None when a route answers."""
    return screened if isinstance(screened, contract.GatewayError) else None


def test_a_route_that_answers_is_screened_through_with_its_match() -> None:
    screened = gateway.Routes(ROUTES).screen("GET", "/reports/a/b?x=1", [])
    assert screened == gateway.Matched(
        "/reports/{account}/{month}", {"account": "a", "month": "b"}, {"x": ["1"]}
    )


def test_limits_come_before_routes() -> None:
    # An oversized request is refused whatever it asks for, as a front end refuses it.
    screened = gateway.Routes(ROUTES).screen("POST", "/nope", [("X", "x" * 10241)])
    assert screened == gateway.HEADERS_TOO_LARGE


@given(
    st.lists(
        st.tuples(st.sampled_from(["InvocationType", "invocationtype", "X"]), st.text("Ev t\t"))
    )
)
def test_each_header_has_its_last_value_without_optional_whitespace(
    lines: list[tuple[str, str]],
) -> None:
    values = gateway.single_values(lines)
    for name in {name.lower() for name, _ in lines}:
        last = [value for sent, value in lines if sent.lower() == name][-1]
        assert values[name] == last.strip(" \t")
    assert set(values) == {name.lower() for name, _ in lines}


@given(st.integers(min_value=0, max_value=contract.MAX_PAYLOAD_BYTES))
def test_a_length_within_the_payload_limit_is_read_as_sent(length: int) -> None:
    assert gateway.body_length([str(length)]) == length
    assert gateway.body_length([f" {length}\t", f"{length}"]) == length, "repeats of one value"
    assert gateway.body_length([f"000{length}"]) == length


@given(st.integers(min_value=contract.MAX_PAYLOAD_BYTES + 1) | st.text(alphabet="9", min_size=8))
def test_a_length_over_the_payload_limit_is_api_gateway_s_413(length: int | str) -> None:
    assert gateway.body_length([str(length)]) == contract.PAYLOAD_TOO_LARGE


@pytest.mark.parametrize(
    "values", [["abc"], ["-1"], ["1.5"], ["١٢"], [""], ["1", "2"], ["0x10"]], ids=repr
)
def test_a_length_that_is_not_one_whole_number_is_a_400(values: list[str]) -> None:
    assert gateway.body_length(values) == gateway.BAD_CONTENT_LENGTH


def test_no_length_is_no_body() -> None:
    assert gateway.body_length([]) == 0


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, "BadRequest"),
        (414, "UriTooLong"),
        (431, "RequestHeaderFieldsTooLarge"),
        (505, "HttpVersionNotSupported"),
        (501, "BadRequest"),
    ],
)
def test_the_parser_s_refusals_keep_their_status_where_the_gateway_has_one(
    status: int, error: str
) -> None:
    assert gateway.malformed(status).error == error


SEGMENTS = st.sampled_from(["a", "b", "2", "2;5", "1%2F2", "", "{x}", "{y}"])


def expected_match(routes: list[str], target: str) -> tuple[str, dict[str, str]] | None:
    """The specification as regular expressions: ``{p}`` is one non-empty segment as sent."""
    path = urlsplit(target).path
    if path != "/" and path.endswith("/"):
        path = path[:-1]
    for route in sorted(routes):  # literal segments sort before "{": they win
        pattern = "/".join(
            f"(?P<{part[1:-1]}>[^/]+)" if part.startswith("{") else re.escape(part)
            for part in route.split("/")
        )
        found = re.fullmatch(pattern, path)
        if found:
            return route, found.groupdict()
    return None


@given(
    st.lists(
        st.lists(SEGMENTS, min_size=1, max_size=3).map(lambda s: "/" + "/".join(s)),
        max_size=4,
        unique=True,
    ).filter(
        lambda routes: all(route.count("{x}") <= 1 and route.count("{y}") <= 1 for route in routes)
    ),
    st.lists(
        st.lists(SEGMENTS, max_size=3).map(lambda s: "/" + "/".join(s))
        | st.sampled_from(["/a/b/", "/a?b=1", "/"]),
        max_size=8,
    ),
)
def test_routes_match_as_specified_whatever_they_matched_before(
    routes: list[str], targets: list[str]
) -> None:
    # One instance for the whole sequence: its last-match memory must never change an answer.
    shared = gateway.Routes(dict.fromkeys(routes, ("GET",)))
    for target in [*targets, *targets]:
        matched = shared.match(target)
        seen = None if matched is None else (matched.route, matched.parameters)
        assert seen == expected_match(routes, target), (routes, target)


def test_threads_sharing_routes_each_get_their_own_target_s_match() -> None:
    routes = gateway.Routes(ROUTES)
    wrong: list[tuple[str, gateway.Matched | None]] = []
    start = threading.Barrier(2)

    def match_repeatedly(target: str, number: str) -> None:
        start.wait()
        for _ in range(2000):
            matched = routes.match(target)
            if matched is None or matched.parameters != {"number": number}:
                wrong.append((target, matched))

    threads = [
        threading.Thread(target=match_repeatedly, args=(f"/square/{n}", str(n))) for n in (1, 2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not wrong, wrong[:3]
