"""``python -m devtools.stripe_server --port 8420``: localstripe plus Connect, on 127.0.0.1."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from aiohttp import web

from . import build_app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m devtools.stripe_server", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8420)
    parser.add_argument(
        "--state-file",
        type=Path,
        default=None,
        help="keep objects in this file across restarts (default: memory only)",
    )
    parser.add_argument(
        "--webhook",
        action="append",
        default=[],
        metavar="URL",
        help="deliver every event to URL (repeatable)",
    )
    parser.add_argument(
        "--webhook-secret", default=None, help="signing secret for --webhook URLs (whsec_...)"
    )
    parser.add_argument(
        "--opening-topup",
        type=int,
        default=0,
        metavar="PENCE",
        help="fund an empty platform balance with one GBP top-up of PENCE (default: none)",
    )
    parser.add_argument("--quiet", action="store_true", help="no access log")
    args = parser.parse_args(argv)
    if args.webhook and not args.webhook_secret:
        parser.error("--webhook needs --webhook-secret")

    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO, format="stripe_server %(message)s"
    )
    app = build_app(
        state_file=args.state_file,
        webhooks=[(url, args.webhook_secret) for url in args.webhook],
        opening_topup=args.opening_topup,
    )
    web.run_app(
        app,
        host=args.host,
        port=args.port,
        access_log=None if args.quiet else logging.getLogger("aiohttp.access"),
        print=lambda *_: print(f"stripe_server: http://{args.host}:{args.port}", flush=True),
    )


if __name__ == "__main__":
    main()
