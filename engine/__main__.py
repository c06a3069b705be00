"""``python -m engine``: the command-line interface (see engine/cli)."""
from engine.cli import main

raise SystemExit(main())
