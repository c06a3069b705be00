"""The CLI: ``python -m engine <command> …``.

Each area registers its subcommands from its own module (``engine/cli/<area>.py`` exposing
``register(subparsers)``), listed in :data:`COMMAND_MODULES`. Conventions for every command:

* ``--json`` prints one JSON document on stdout (and nothing else there); human output otherwise.
* Progress goes to stderr.
* Exit codes: 0 ok, 2 usage, 3 corpus error, 4 model error, 5 store error (not found), 6-9 other
  engine errors, 10 recipe (see ``engine.errors``), 130 cancelled/interrupted, 1 anything unexpected.
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from engine.errors import EmbedscapeError

# One module per area; each adds its name here.
COMMAND_MODULES: tuple[str, ...] = ("engine.cli.core", "engine.cli.project", "engine.cli.search", "engine.cli.bias", "engine.cli.axes",
                                    "engine.cli.compare", "engine.cli.geometry",
                                     "engine.cli.check", "engine.cli.recipe")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m engine",
        description="Embedscape engine: ingest corpora, embed them, and question the embedding space.",
    )
    parser.add_argument(
        "--workspace",
        help="Workspace folder (default: $EMBEDSCAPE_HOME, else the user cache dir).",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="Print a JSON summary on stdout.")


def emit(args: argparse.Namespace, payload: Any, human: Callable[[Any], str]) -> None:
    """Print ``payload`` as JSON (``--json``) or as the human rendering."""
    if getattr(args, "json", False):
        print(json.dumps(payload, indent=2, ensure_ascii=False, default=str))
    else:
        print(human(payload))


def stderr_progress(label: str) -> Callable[[int, int], None]:
    """A progress callback that redraws one line on stderr."""
    started = time.perf_counter()
    interactive = sys.stderr.isatty()

    def update(done: int, total: int) -> None:
        elapsed = time.perf_counter() - started
        line = f"{label}: {done:,}/{total:,} ({elapsed:.1f} s)"
        if interactive:
            sys.stderr.write("\r" + line + ("\n" if done >= total else ""))
        elif done >= total or done == 0:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()

    return update


def _pop_workspace(argv: list[str]) -> tuple[list[str], str | None]:
    """Accept ``--workspace DIR`` anywhere on the line, not only before the command."""
    for position, item in enumerate(argv):
        if item == "--workspace" and position + 1 < len(argv):
            return argv[:position] + argv[position + 2:], argv[position + 1]
        if item.startswith("--workspace="):
            return argv[:position] + argv[position + 1:], item.split("=", 1)[1]
    return argv, None


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    parser = build_parser()
    argv, workspace = _pop_workspace(list(sys.argv[1:] if argv is None else argv))
    args = parser.parse_args(argv)
    workspace = workspace or args.workspace
    previous = os.environ.get("EMBEDSCAPE_HOME")
    if workspace:
        os.environ["EMBEDSCAPE_HOME"] = workspace
    try:
        return int(args.handler(args) or 0)
    except EmbedscapeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        # main() is also called in-process (notebooks, tests): --workspace applies to this call only
        if workspace:
            if previous is None:
                os.environ.pop("EMBEDSCAPE_HOME", None)
            else:
                os.environ["EMBEDSCAPE_HOME"] = previous
