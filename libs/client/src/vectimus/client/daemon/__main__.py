"""``python -m vectimus.client.daemon``: run the daemon in the foreground."""

import sys

from vectimus.client.daemon.server import main

sys.exit(main())
