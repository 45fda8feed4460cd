"""``glue-flow-local serve``: run the local Glue in the foreground and print its endpoint URL."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from typing import Any

from glue_flow_local.server import DEFAULT_HOST, LocalGlueServer
from glue_flow_local.settings import Credentials, ServerOptions


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``serve`` options to a parser.

    :param parser: the parser of ``glue-flow-local serve`` or ``python -m glue_flow_local``.
    """
    parser.add_argument(
        "--host", default=DEFAULT_HOST, help="address to bind (default %(default)s; 0.0.0.0 in a container)"
    )
    parser.add_argument("--port", type=int, default=0, help="port to bind (default 0: a free port)")
    parser.add_argument(
        "--state-dir",
        default=None,
        help="folder for job scripts and run directories (default: a temporary folder)",
    )
    parser.add_argument(
        "--remove-state-dir",
        action="store_true",
        help="remove the --state-dir folder when the server stops (a folder the server makes is always removed)",
    )
    parser.add_argument(
        "--exit-with-parent",
        action="store_true",
        help="stop (as on SIGTERM) when the process that started the server is gone",
    )
    parser.add_argument(
        "--min-crawl-seconds",
        type=float,
        default=None,
        help="shortest crawl in seconds, so pollers can observe RUNNING (env GLUE_FLOW_LOCAL_MIN_CRAWL_SECONDS, default 3)",
    )
    parser.add_argument(
        "--access-key-id",
        default=None,
        help="access key id requests must be signed with (env GLUE_FLOW_LOCAL_ACCESS_KEY_ID, default testing)",
    )
    parser.add_argument(
        "--secret-access-key",
        default=None,
        help="its secret (env GLUE_FLOW_LOCAL_SECRET_ACCESS_KEY, default testing)",
    )
    parser.add_argument(
        "--allow-origin",
        action="append",
        default=None,
        metavar="ORIGIN",
        help="a browser origin allowed to call, e.g. http://localhost:3000; repeatable "
        "(env GLUE_FLOW_LOCAL_ALLOWED_ORIGINS, comma-separated; default: none)",
    )
    parser.add_argument(
        "--timeout-unit-seconds",
        type=float,
        default=None,
        help="seconds one Glue Timeout minute lasts (env GLUE_FLOW_LOCAL_TIMEOUT_UNIT_SECONDS, default 60)",
    )
    parser.add_argument(
        "--sfn-time-scale",
        type=float,
        default=None,
        help="seconds one Step Functions second lasts in Wait states, Retry intervals and task timeouts "
        "(env GLUE_FLOW_LOCAL_SFN_TIME_SCALE, default 1)",
    )


def serve(args: argparse.Namespace) -> int:
    """Run the server until SIGTERM or Ctrl-C; the first stdout line is the endpoint URL.

    :param args: parsed ``serve`` options.
    """

    def terminate(signum: int, frame: Any) -> None:
        raise SystemExit(0)

    # Installed first, so a SIGTERM at any later moment still runs the cleanup below.
    signal.signal(signal.SIGTERM, terminate)
    if args.exit_with_parent:
        _exit_with_parent()
    server = LocalGlueServer(
        args.host,
        args.port,
        state_dir=args.state_dir,
        remove_state_dir=args.remove_state_dir,
        options=ServerOptions(
            min_crawl_seconds=args.min_crawl_seconds,
            timeout_unit_seconds=args.timeout_unit_seconds,
            sfn_time_scale=args.sfn_time_scale,
            credentials=Credentials.from_env(args.access_key_id, args.secret_access_key),
            allowed_origins=tuple(args.allow_origin) if args.allow_origin else None,
        ),
    )
    try:
        url = (
            f"http://{args.host}:{server.port}"
            if args.host not in ("0.0.0.0", "::", "")
            else server.endpoint_url
        )
        print(url, flush=True)
        print(
            f"Local Glue (S3, Glue, CloudWatch Logs) serving on {args.host}:{server.port}; state is in memory "
            f"(scripts under {server.settings.state_dir}). Requests must be signed (SigV4) with access key id "
            f"{server.settings.credentials.access_key_id!r} and secret access key "
            f"{server.settings.credentials.secret_access_key!r}; browser origins allowed: "
            f"{', '.join(server.settings.allowed_origins) or 'none'}. Stop with Ctrl-C.",
            file=sys.stderr,
            flush=True,
        )
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.release()
    return 0


def _exit_with_parent(poll_seconds: float = 1.0) -> None:
    """Stop this server as SIGTERM does once its parent process is gone (it is then re-parented).

    A test run or script killed outright cannot stop the server it started; without this the server
    would run on, with its state folder, for ever.
    """
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll_seconds)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()
