"""``chalice local`` with the local async engine: started with the server, tuned for keep-alive.

app.py calls :func:`serve_with_engine` last, under ``chalice local`` only.
Nothing starts then: the engine starts when Chalice's ``LocalDevServer`` starts
serving, after app.py is fully imported and after the server has bound its
port (a busy port fails before any engine runs), and the functions' settings
are checked first, so a bad value stops the server with one clear line.

The tuning goes through the standard library's own hooks on Chalice's request
handler (``StreamRequestHandler.disable_nagle_algorithm``, and the
``do_<METHOD>`` lookup of ``BaseHTTPRequestHandler``), so it survives Chalice
upgrades that keep the handler a ``BaseHTTPRequestHandler``; the end-to-end
tests notice if one stops applying.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from chalice.local import ChaliceRequestHandler, LocalDevServer

from chalicelib.async_api import AsyncApi

#: The exit status when the server refuses to start (a setting, the store).
EXIT_MISCONFIGURED = 2


def serve_with_engine(api: AsyncApi) -> None:
    """Make Chalice's dev server start ``api``'s engine when it starts serving."""
    tune_chalice_local()
    serve_forever = LocalDevServer.serve_forever

    def serve_forever_with_engine(server: LocalDevServer) -> None:
        try:
            api.check_settings(os.environ)
            api.invoker()
        except Exception as problem:  # a setting, .chalice/config.json, the store...
            sys.stderr.write(f"chalice local: not started: {problem}\n")
            sys.stderr.flush()
            raise SystemExit(EXIT_MISCONFIGURED) from None
        serve_forever(server)

    LocalDevServer.serve_forever = serve_forever_with_engine  # type: ignore[method-assign,assignment]


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
