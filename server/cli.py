"""`paidui-server`: the command line of the central server."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

Handler = Callable[[argparse.Namespace], int]


def _replay(args: argparse.Namespace) -> int:
    from .replay import main as replay_main

    return replay_main(args.scenario, args.database_url)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="paidui-server", description="Paidui central server")
    sub = parser.add_subparsers(dest="command", required=True)
    replay = sub.add_parser("replay", help="replay a paidui-scenario/1 document and print the result as JSON")
    replay.add_argument("scenario", help="scenario file, or - for standard input")
    replay.add_argument("--database-url", help="default: a throw-away SQLite file; postgresql+psycopg://... works")
    replay.set_defaults(handler=_replay)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())
