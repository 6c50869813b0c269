"""``python -m devtools.notify_server --port 8430``: a local GOV.UK Notify, on 127.0.0.1."""

from __future__ import annotations

import argparse
import logging

from aiohttp import web

from . import build_app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m devtools.notify_server", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8430)
    parser.add_argument("--api-key", required=True, help="the key careledger is given")
    parser.add_argument("--callback", default="", metavar="URL", help="delivery receipts' URL")
    parser.add_argument("--callback-token", default="", help="the callback's bearer token")
    parser.add_argument(
        "--delivery-delay", type=float, default=0.2, help="seconds from sent to delivered"
    )
    parser.add_argument("--quiet", action="store_true", help="no access log")
    args = parser.parse_args(argv)
    if args.callback and len(args.callback_token) < 10:
        parser.error("--callback needs a --callback-token of 10 characters or more")

    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO, format="notify_server %(message)s"
    )
    app = build_app(
        api_key=args.api_key,
        callback_url=args.callback,
        callback_token=args.callback_token,
        delivery_delay=args.delivery_delay,
    )
    web.run_app(
        app,
        host=args.host,
        port=args.port,
        access_log=None if args.quiet else logging.getLogger("aiohttp.access"),
        print=lambda *_: print(f"notify_server: http://{args.host}:{args.port}", flush=True),
    )


if __name__ == "__main__":
    main()
