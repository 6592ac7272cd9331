"""``python -m accelsim``: the same as the ``accelsim`` command (layer 9)."""
import sys

from accelsim.cli import main

sys.exit(main())
