"""What the SDK readers share: printing what an SDK read as JSON lines in `runnel chat --events`'s
vocabulary (crates/core/src/event.rs), and the command line they all take."""

import argparse
import json
import sys


def emit(kind, **fields):
    """One event line: `{"type": kind, ...fields}`, compact, raw UTF-8, as Runnel prints it."""
    print(json.dumps({"type": kind, **fields}, ensure_ascii=False, separators=(",", ":")), flush=True)


def emit_exception(error):
    """An exception the SDK raised: its class and message (the provider's own when the exception
    holds it apart), as an error line, with the provider's error code, status or type when the
    exception carries one as a string."""
    words = [getattr(error, name, None) for name in ("code", "status", "type")]
    error_type = next((word for word in words if isinstance(word, str)), None)
    messages = [getattr(error, name, None) for name in ("message", "error")]
    message = next((text for text in messages if isinstance(text, str)), str(error))
    emit("error", sdk_class=type(error).__name__, error_type=error_type, message=message)


def arguments(description):
    """`BASE_URL [--model M] [--prompt P]`, as every reader takes them."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("base_url", help="the fake server's base URL, as the SDK takes it")
    parser.add_argument("--model", default="m")
    parser.add_argument("--prompt", default="hi")
    return parser.parse_args()


def run(read):
    """Runs `read()` (which emits the events the SDK yields) and turns an exception into an error
    line; the exit code is 0 either way, so that the caller compares what was printed."""
    sys.stdout.reconfigure(encoding="utf-8")
    try:
        read()
    except Exception as error:  # the SDK's own exceptions, whatever their class
        emit_exception(error)
