"""``chalice local``'s log lines, gathered a few milliseconds and written together.

``chalicelib.async_api.logs`` writes and flushes each line as it is logged, as
a Lambda function must. ``chalice local`` logs three lines a request (the
route's ``request.received`` and ``function.done``, the access line), and each
flush is a system call for which the thread gives the GIL away and waits to
get it back, behind the other clients' threads (docs/benchmarks.md, "Where a
request's time goes"). :class:`GatheredLines` takes the lines instead
(``logs.send_lines_to``), and one thread writes those gathered over
:data:`GATHER_SECONDS`, in the order they were logged, with one write.

What changes for a reader: a line reaches stdout up to :data:`GATHER_SECONDS`
(and the wait for the GIL) after it was logged, its timestamp unchanged. At
the process's exit, a reload's or Ctrl-C's included, what is gathered is
written; a ``kill -9`` loses the lines of its last :data:`GATHER_SECONDS` at most,
and a request still being answered when the process exits may lose its access
line. Lines written through ``logging`` (Chalice's "Restarting local dev
server.") do not pass here: they are written at once, and can come before
gathered lines logged a moment earlier.
"""

from __future__ import annotations

import atexit
import threading
import time

from chalicelib.async_api import logs

#: How long the writer gathers lines after the first one, in seconds.
GATHER_SECONDS = 0.02


class GatheredLines:
    """A :data:`logs.Output` that gathers lines and writes them to ``output`` from a thread.

    Nothing runs until :meth:`start`; :meth:`close` writes what is gathered
    and, from then on, every line at once.
    """

    def __init__(
        self, output: logs.Output = logs.write_to_stdout, gather_seconds: float = GATHER_SECONDS
    ) -> None:
        self._output = output
        self._gather_seconds = gather_seconds
        self._lines: list[str] = []
        self._closed = False
        self._lock = threading.Lock()
        # Set while lines wait: the writer sleeps on it when there are none.
        self._waiting = threading.Event()
        # One write at a time, the writer's or close()'s, so lines keep their order.
        self._writing = threading.Lock()
        self._writer: threading.Thread | None = None

    def __call__(self, text: str) -> None:
        """Take ``text`` (whole lines) to write soon, or at once once closed."""
        with self._lock:
            self._lines.append(text)
            first = len(self._lines) == 1
            closed = self._closed
        if closed:
            # Through the same queue: a line logged while close() writes comes after it.
            self._write_gathered()
        elif first:
            self._waiting.set()

    def start(self) -> None:
        """Start the writer; what is gathered at the process's exit is written then."""
        self._writer = threading.Thread(target=self._write_forever, name="log-lines", daemon=True)
        self._writer.start()
        atexit.register(self.close)

    def close(self) -> None:
        """Write what is gathered; later lines are written as they come. Idempotent."""
        with self._lock:
            self._closed = True
        self._waiting.set()
        self._write_gathered()
        if self._writer is not None and self._writer is not threading.current_thread():
            self._writer.join(1.0)
        atexit.unregister(self.close)

    def _write_forever(self) -> None:
        while not self._closed:
            self._waiting.wait()
            time.sleep(self._gather_seconds)  # the lines of the next moments join this write
            self._write_gathered()

    def _write_gathered(self) -> None:
        with self._writing:
            with self._lock:
                lines, self._lines = self._lines, []
                if not self._closed:
                    self._waiting.clear()
            if lines:
                self._output("".join(lines))
