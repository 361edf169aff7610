#!/usr/bin/env python3
"""Load drivers for scripts/soak.sh: keep-alive HTTP/1.1 clients on asyncio,
standard library only, loopback only.

    load.py proxy  --url http://127.0.0.1:P --clients 64  --duration S --results FILE
    load.py replay --url http://127.0.0.1:P --clients 256 --duration S --results FILE

proxy:  each client sends AdminForgetDevice requests with a username of its
        own (tapedeck-soak-c<client>-r<n>: synthetic, so kept readable with
        --keep-usernames and accepted by lint), one at a time, and classifies every answer:
        `completed` (the upstream's 400 UserNotFoundException, no warning),
        `failed` (tapedeck's 502 upstream-failed: the upstream reset), or an
        error (anything else: a dropped connection, a not-recorded warning,
        an unexpected status).
replay: (used when wrk is not installed) every client sends the bundled
        unknown-user request; any answer but its 400 is an error.

Clients stop starting requests after S seconds and finish the one in flight,
so every request sent has a known outcome. Results go to FILE as JSON.
"""
import argparse
import asyncio
import json
import time
from urllib.parse import urlparse

TARGET = "AWSCognitoIdentityProviderService.AdminForgetDevice"
POOL = "us-east-1_TapeDeck1"
DEVICE = "us-east-1_0a1b2c3d-0000-4000-8000-000000000001"


def request(host, user):
    body = json.dumps({"UserPoolId": POOL, "Username": user, "DeviceKey": DEVICE}).encode()
    head = (
        f"POST / HTTP/1.1\r\nHost: {host}\r\n"
        f"Content-Type: application/x-amz-json-1.1\r\nX-Amz-Target: {TARGET}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    return head + body


async def read_response(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return status, headers, body


class Client:
    def __init__(self, host, port):
        self.host, self.port = host, port
        self.reader = self.writer = None

    async def send(self, raw, timeout=15):
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.write(raw)
        await self.writer.drain()
        status, headers, body = await asyncio.wait_for(read_response(self.reader), timeout)
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, headers, body

    def close(self):
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def proxy_client(i, host, port, deadline, out):
    c = Client(host, port)
    n = 0
    while time.monotonic() < deadline:
        user = f"tapedeck-soak-c{i:03d}-r{n:05d}"
        n += 1
        try:
            status, headers, body = await c.send(request(f"{host}:{port}", user))
        except Exception as e:  # the proxy must never drop a client
            out["errors"].append(f"{user}: {type(e).__name__}: {e}")
            c.close()
            continue
        kind = headers.get("x-tapedeck-error")
        if status == 400 and b"UserNotFoundException" in body and "x-tapedeck-warning" not in headers:
            out["completed"].append(user)
        elif status == 502 and kind == "upstream-failed":
            out["failed"].append(user)
        else:
            out["errors"].append(
                f"{user}: {status} error={kind} warning={headers.get('x-tapedeck-warning')} {body[:200]!r}"
            )
    c.close()


async def replay_client(host, port, deadline, out):
    c = Client(host, port)
    raw = request(f"{host}:{port}", "tapedeck-ghost")
    while time.monotonic() < deadline:
        try:
            status, _, body = await c.send(raw, timeout=10)
        except Exception as e:
            out["errors"].append(f"{type(e).__name__}: {e}")
            c.close()
            continue
        out["requests"] += 1
        if status != 400 or b"UserNotFoundException" not in body:
            out["errors"].append(f"status {status}: {body[:200]!r}")
    c.close()


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["proxy", "replay"])
    p.add_argument("--url", required=True)
    p.add_argument("--clients", type=int, required=True)
    p.add_argument("--duration", type=float, required=True)
    p.add_argument("--results", required=True)
    args = p.parse_args()
    u = urlparse(args.url)
    if u.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("load.py: loopback targets only")
    deadline = time.monotonic() + args.duration
    started = time.monotonic()
    if args.mode == "proxy":
        out = {"completed": [], "failed": [], "errors": []}
        tasks = [proxy_client(i, u.hostname, u.port, deadline, out) for i in range(args.clients)]
    else:
        out = {"requests": 0, "errors": []}
        tasks = [replay_client(u.hostname, u.port, deadline, out) for _ in range(args.clients)]
    await asyncio.gather(*tasks)
    out["seconds"] = round(time.monotonic() - started, 2)
    with open(args.results, "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    asyncio.run(main())
