"""``python -m local_async.replay``: see :mod:`local_async.replay.cli`."""

import sys

from local_async.replay.cli import main

if __name__ == "__main__":
    sys.exit(main())
