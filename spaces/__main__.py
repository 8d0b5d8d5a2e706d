"""Serve every Space behind one landing page.

    python -m spaces                         # http://127.0.0.1:7860/
    python -m spaces --only pca gan --port 8000
    python -m spaces --weights digits-autoencoder=./outputs/ae/final
"""

from __future__ import annotations

import argparse
import os
import time


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m spaces", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
                        help="interface to listen on (0.0.0.0 to serve a classroom network)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", 7860)))
    parser.add_argument("--share", action="store_true", help="also open a public Gradio share link")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="serve only these Spaces")
    parser.add_argument("--weights", action="append", default=[], metavar="NAME=REPO_OR_DIR",
                        help="use other weights for a bundled model name (a Hub repo[@rev] or a folder)")
    return parser.parse_args(argv)


def check_weights_flag(item: str) -> tuple[str, str]:
    """NAME=REPO_OR_DIR, where NAME is a model some Space uses; a bad value is one line, not a traceback."""
    from core.hub import WeightsNotFoundError, parse_override  # torch: only when --weights is given
    from spaces.registry import discover

    name, sep, target = item.partition("=")
    name, target = name.strip(), target.strip()
    if not sep or not target:
        raise SystemExit(f"--weights expects NAME=REPO_OR_DIR, got {item!r}")
    known = sorted({repo.rsplit("/", 1)[-1] for space in discover() for repo in space.models})
    if name not in known:
        raise SystemExit(f"--weights {item!r}: no Space uses a model named {name!r}; known: {', '.join(known)}")
    try:
        parse_override(name, target)
    except WeightsNotFoundError as error:
        raise SystemExit(f"--weights {item!r}: {error}") from None
    return name, target


def main(argv=None) -> None:
    args = parse_args(argv)
    for item in args.weights:
        from core.hub import override_variable

        name, target = check_weights_flag(item)
        os.environ[override_variable(name)] = target

    import uvicorn

    from core.common.log import show_log
    from core.common.memory import bound_native_memory
    from spaces.server import build_app, open_share_tunnel

    show_log()
    bound_native_memory()  # before the Spaces load: a class-long session must keep its memory flat

    app, launcher = build_app(args.only)
    url_host = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    print(f"* Landing page: http://{url_host}:{args.port}/ (the {len(launcher.slots)} Spaces load behind it)",
          flush=True)
    server = uvicorn.Server(uvicorn.Config(app, host=args.host, port=args.port, log_level="warning"))
    if args.share:
        import threading

        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started and thread.is_alive():
            time.sleep(0.05)
        share_url = open_share_tunnel(url_host, args.port)
        if share_url:
            print(f"* Public link: {share_url}")
        thread.join()
    else:
        server.run()


if __name__ == "__main__":
    main()
