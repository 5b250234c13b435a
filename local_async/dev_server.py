"""Adjustments to Chalice's development server, applied only under ``chalice local``.

Both go through the standard library's own hooks on Chalice's request handler
(``StreamRequestHandler.disable_nagle_algorithm``, and the ``do_<METHOD>`` lookup
of ``BaseHTTPRequestHandler``), so they survive Chalice upgrades that keep the
handler a ``BaseHTTPRequestHandler``; the end-to-end tests notice if one stops
applying.
"""

from __future__ import annotations

from typing import Any

from chalice.local import ChaliceRequestHandler


def tune_chalice_local() -> None:
    """Answer keep-alive clients without delay, and every HTTP method through Chalice.

    Without TCP_NODELAY each response on a kept-alive connection waits for the
    client's delayed ACK (about 40 ms on Linux): one client gets ~23 requests/s.
    Methods the handler has no ``do_`` method for (TRACE, CONNECT, QUERY...) get
    an HTML 501 from the standard library, a server error; routed through
    Chalice's gateway they get the JSON 405 every other undeclared method gets.
    """
    ChaliceRequestHandler.disable_nagle_algorithm = True
    ChaliceRequestHandler.__getattr__ = _route_any_method


def _route_any_method(handler: Any, name: str) -> Any:
    # Called only for attributes the class lacks; the HTTP method dispatch asks
    # for "do_" + the method name.
    if name.startswith("do_"):
        return handler.do_GET
    raise AttributeError(name)
