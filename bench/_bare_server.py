"""The baseline of bench/emulator_throughput.py: a bare Starlette app on the emulator's stack.

Same uvicorn configuration, same TLS, same route shape; the handler does nothing but
answer 202 — what ``sendMail`` would cost if authentication, the permission check and
storing the message were free. Prints ``ready <url>`` when it accepts connections.
"""

from __future__ import annotations

import asyncio
import socket
import sys
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sendscope.emulator.server import uvicorn_config


async def send_mail(request: Request) -> Response:
    await request.body()
    return Response(status_code=202)


def main() -> None:
    cert_dir = Path(sys.argv[1])
    app = Starlette(routes=[Route("/v1.0/users/{user}/sendMail", send_mail, methods=["POST"])])
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(2048)
    server = uvicorn.Server(uvicorn_config(app, cert_dir, "127.0.0.1"))

    async def run() -> None:
        task = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started:
            await asyncio.sleep(0.05)
        sys.stdout.write(f"ready https://127.0.0.1:{sock.getsockname()[1]}\n")
        sys.stdout.flush()
        await task

    asyncio.run(run())


if __name__ == "__main__":
    main()
