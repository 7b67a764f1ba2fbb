"""SIGTERM during load: a real gateway process shuts down gracefully and every request it answered has its usage
record in the database afterwards."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import httpx2

from routeapi.testing import FakeUpstream, Fault

from .load import ANSWER
from .stored import PRICED, chat, fake_config, headers, make_token, start_gateway, usage_records


async def load_until_refused(url: str, token: str, *, stop_after: float) -> tuple[list[str], list[str]]:
    """Requests in waves of 8 until the gateway stops taking them: (request IDs answered, IDs sent)."""
    answered: list[str] = []
    sent: list[str] = []
    path, body = chat("openai", "priced")
    deadline = time.monotonic() + stop_after

    async with httpx2.AsyncClient(base_url=url, timeout=20) as client:

        async def one(request_id: str) -> None:
            sent.append(request_id)
            try:
                response = await client.post(
                    path, json=body, headers=headers("openai", token) | {"x-request-id": request_id}
                )
            except httpx2.TransportError:
                return
            if response.status_code == 200:
                answered.append(request_id)

        wave = 0
        while time.monotonic() < deadline:
            await asyncio.gather(*(one(f"term-{wave}-{i}") for i in range(8)))
            wave += 1
    return answered, sent


def test_sigterm_during_load_loses_no_answered_request(tmp_path: Path, fakes: dict[str, FakeUpstream]) -> None:
    database = f"sqlite:///{tmp_path / 'usage.db'}"
    token = make_token(database, "term-svc")
    fakes["openai"].script(PRICED, Fault.delay(0.15, ANSWER))
    process, url = start_gateway(fake_config(fakes), tmp_path, {"ROUTEAPI_DATABASE": database})
    try:
        path, body = chat("openai", "priced")
        warm_up = httpx2.post(url + path, json=body, headers=headers("openai", token) | {"x-request-id": "warm-up"})
        assert warm_up.status_code == 200  # the first call imports the provider's SDK: not part of the load

        async def scenario() -> tuple[list[str], list[str]]:
            load = asyncio.ensure_future(load_until_refused(url, token, stop_after=2.0))
            await asyncio.sleep(0.5)
            process.send_signal(signal.SIGTERM)
            return await load

        answered, sent = asyncio.run(scenario())
        assert process.wait(15) in (0, -signal.SIGTERM)  # uvicorn re-raises the signal once it shut down
    finally:
        if process.poll() is None:
            process.kill()
    records = {r.request_id: r for r in usage_records(database)}
    assert len(answered) >= 16
    assert set(answered) <= set(records)
    assert set(records) <= {*sent, "warm-up"}
    assert all(records[r].status == 200 and records[r].input_tokens == 11 for r in answered)
