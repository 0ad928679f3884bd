"""A folder served over HTTP with a latency per request, in a child process of its own.

The benchmarks that read over HTTP (``hierarchy_load.py``, ``layout_cost.py``) serve their
stores with :func:`ngff_geozarr.core.testing.serve_directory` in a separate process, so the
server does not share the interpreter lock with the reader. :class:`Server` starts this file
as that process and talks to it over its pipes: the child prints its base URL, then answers
one line per command: ``clear`` (forget the requests so far; prints ``ok``) and ``count``
(prints the requests, the most handled at one time, and the body bytes sent since the last
``clear``).

Only the standard library at module level: the benchmarks import it before their own
environment is known.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path


def serve(root: Path, latency: float) -> int:
    """Child-process mode: serve ``root`` until standard input closes.

    Parameters
    ----------
    root
        The folder to serve.
    latency
        Seconds to wait before answering each request.

    Returns
    -------
    int
        The exit status.
    """
    from ngff_geozarr.core.testing import serve_directory

    with serve_directory(root, latency=latency) as (url, log):
        print(url, flush=True)
        for line in sys.stdin:
            if line.strip() == "clear":
                log.clear()
                print("ok", flush=True)
            elif line.strip() == "count":
                print(log.count, log.max_in_flight, sum(log.bytes_sent.values()), flush=True)
    return 0


class Server:
    """The serving child process of one folder (see the module notes).

    Parameters
    ----------
    root
        The folder to serve.
    latency
        Seconds the server waits before answering each request.
    """

    def __init__(self, root: Path, *, latency: float) -> None:
        command = [sys.executable, __file__, str(root), "--latency", repr(latency)]
        self._process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1
        )
        self.url = self._ask(None)

    def _ask(self, command: str | None) -> str:
        stdin, stdout = self._process.stdin, self._process.stdout
        assert stdin is not None
        assert stdout is not None
        if command is not None:
            stdin.write(command + "\n")
            stdin.flush()
        answer = stdout.readline().strip()
        if not answer:
            raise RuntimeError(f"the server process exited ({self._process.poll()})")
        return answer

    def clear(self) -> None:
        """Forget the requests received so far."""
        self._ask("clear")

    def counts(self) -> tuple[int, int, int]:
        """Return the requests received, the most handled at one time, and the bytes sent.

        Returns
        -------
        tuple of (int, int, int)
            The request count, the peak number in flight, the body bytes sent.
        """
        count, peak, sent = self._ask("count").split()
        return int(count), int(peak), int(sent)

    def close(self) -> None:
        """Stop the server process: close its input, then wait for it."""
        stdin, stdout = self._process.stdin, self._process.stdout
        assert stdin is not None
        assert stdout is not None
        stdin.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        stdout.close()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--latency", type=float, default=0.0)
    arguments = parser.parse_args()
    sys.exit(serve(arguments.root, arguments.latency))
