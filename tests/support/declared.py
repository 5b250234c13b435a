"""The declarations app.py makes: the tests' one source of the example's names.

A user adds functions next to the example (docs/add-your-own-endpoint.md):
tests about the example find it by its name, and counts of per-function
resources come from :data:`FUNCTIONS`, never from a number written down.
"""

from __future__ import annotations

import app

#: Every function app.py declares, in declaration order: the example and any added.
FUNCTIONS = app.api.functions
#: The example's function name, as app.py declares it.
NAME = "get_square_fn"
#: ``GET /square/{number}``, wherever app.py declares it.
(SQUARE,) = (function for function in FUNCTIONS if function.name == NAME)
#: Its on-success and on-failure queues.
DEST, DLQ = SQUARE.queues
#: Attempts before an event is given up: the first one and the retries.
ATTEMPTS = 1 + SQUARE.config.maximum_retry_attempts
