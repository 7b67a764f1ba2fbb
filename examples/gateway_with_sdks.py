"""The gateway with the official SDKs as clients: start ``routeapi serve --demo`` and point OpenAI, Anthropic and
Google GenAI clients at it — only the base URL and the key change."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import anthropic
import httpx2
import openai
from google import genai

TOKEN = "routeapi-demo"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_ready(url: str) -> None:
    for _ in range(100):
        try:
            if httpx2.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx2.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError("the gateway did not start")


def main() -> list[str]:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "routeapi", "serve", "--demo", "--port", str(port)], stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url)
        gpt = openai.OpenAI(base_url=f"{url}/v1", api_key=TOKEN)
        claude = anthropic.Anthropic(base_url=url, api_key=TOKEN)
        google = genai.Client(api_key=TOKEN, http_options={"base_url": url, "api_version": "v1beta"})
        answers = [
            gpt.chat.completions.create(model="demo-claude", messages=[{"role": "user", "content": "Hi"}])
            .choices[0]
            .message.content
            or "",
            "".join(
                b.text
                for b in claude.messages.create(
                    model="demo-gemini", max_tokens=50, messages=[{"role": "user", "content": "Hi"}]
                ).content
                if b.type == "text"
            ),
            google.models.generate_content(model="chat-default", contents="Hi").text  # pyright: ignore[reportUnknownMemberType]
            or "",
        ]
    finally:
        server.terminate()
        server.wait(10)
    for answer in answers:
        print(answer)
    return answers


if __name__ == "__main__":
    main()
