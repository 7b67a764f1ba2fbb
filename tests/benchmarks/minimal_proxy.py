"""The Python floor for a gateway: uvicorn + httpx2, passing every request through to one upstream, bytes as they
come (streams included), no parsing, no auth. The gateway benchmark compares routeapi's gateway with it.

    python -m tests.benchmarks.minimal_proxy http://127.0.0.1:8100 --port 8200
"""

from __future__ import annotations

import argparse
from typing import Any

import httpx2
import uvicorn


def proxy_app(upstream: str) -> Any:
    client = httpx2.AsyncClient(base_url=upstream, limits=httpx2.Limits(max_connections=1000), timeout=60)

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body, more = b"", True
        while more:
            message = await receive()
            body, more = body + message.get("body", b""), message.get("more_body", False)
        path = scope["path"] + (f"?{scope['query_string'].decode()}" if scope["query_string"] else "")
        request = client.build_request(
            scope["method"], path, content=body, headers={"content-type": "application/json"}
        )
        response = await client.send(request, stream=True)
        headers = [
            (k.encode(), v.encode()) for k, v in response.headers.items() if k in ("content-type", "content-length")
        ]
        await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
        async for chunk in response.aiter_raw():
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await response.aclose()
        await send({"type": "http.response.body", "body": b""})

    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("upstream")
    parser.add_argument("--port", type=int, default=8200)
    args = parser.parse_args()
    uvicorn.run(proxy_app(args.upstream), host="127.0.0.1", port=args.port, log_level="warning", lifespan="off")


if __name__ == "__main__":
    main()
