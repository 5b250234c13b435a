"""The shipped example's declaration, as app.py makes it: the tests' one source of its names."""

from __future__ import annotations

import app

#: ``GET /square/{number}``, the function ``get_square_fn``.
SQUARE = app.api.functions[0]
NAME = SQUARE.name
#: Its on-success and on-failure queues.
DEST, DLQ = SQUARE.queues
#: Attempts before an event is given up: the first one and the retries.
ATTEMPTS = 1 + SQUARE.config.maximum_retry_attempts
