#!/usr/bin/env python3
"""A slow Cognito-like upstream on 127.0.0.1 that sometimes resets.

Answers every AdminForgetDevice request like Cognito answers an unknown user
(400 UserNotFoundException), after a random delay; a fraction of requests is
instead cut off with a TCP reset (SO_LINGER 0), either before any answer or
half-way through the body. Keep-alive is honoured, so the proxy's pooled
connections meet resets too.

    upstream.py --port-file FILE [--reset-rate 0.1] [--min-delay 0.02] [--max-delay 0.25]

Writes its port to FILE once listening; runs until SIGTERM/SIGINT, then
prints one line of counts. Loopback only.
"""
import argparse
import asyncio
import random
import signal
import socket
import struct

BODY = b'{"__type":"UserNotFoundException","message":"User does not exist."}'
HEAD = (
    b"HTTP/1.1 400 Bad Request\r\n"
    b"content-type: application/x-amz-json-1.1\r\n"
    b"x-amzn-errortype: UserNotFoundException:\r\n"
    b"x-amzn-requestid: 00000000-0000-4000-8000-000000000000\r\n"
    b"content-length: %d\r\n\r\n" % len(BODY)
)

counts = {"requests": 0, "answered": 0, "reset_before": 0, "reset_mid_body": 0}


def reset(writer):
    sock = writer.get_extra_info("socket")
    if sock is not None:
        # SO_LINGER with a zero timeout: close() sends RST instead of FIN.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def read_request(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    if length:
        await reader.readexactly(length)


async def handle(reader, writer, args):
    try:
        while True:
            try:
                await read_request(reader)
            except (asyncio.IncompleteReadError, ConnectionError, ValueError):
                break
            counts["requests"] += 1
            await asyncio.sleep(random.uniform(args.min_delay, args.max_delay))
            roll = random.random()
            if roll < args.reset_rate / 2:
                counts["reset_before"] += 1
                reset(writer)
                return
            if roll < args.reset_rate:
                counts["reset_mid_body"] += 1
                writer.write(HEAD + BODY[: len(BODY) // 2])
                await writer.drain()
                await asyncio.sleep(0.01)
                reset(writer)
                return
            writer.write(HEAD + BODY)
            await writer.drain()
            counts["answered"] += 1
    except ConnectionError:
        pass
    finally:
        if not writer.transport.is_closing():
            writer.close()


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port-file", required=True)
    p.add_argument("--reset-rate", type=float, default=0.1)
    p.add_argument("--min-delay", type=float, default=0.02)
    p.add_argument("--max-delay", type=float, default=0.25)
    args = p.parse_args()
    server = await asyncio.start_server(lambda r, w: handle(r, w, args), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    with open(args.port_file, "w") as f:
        f.write(f"{port}\n")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()
    print("upstream: " + ", ".join(f"{k} {v}" for k, v in counts.items()), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
