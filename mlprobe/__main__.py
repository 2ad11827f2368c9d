"""``python -m mlprobe``: the command line."""

from mlprobe.cli import main

raise SystemExit(main())
