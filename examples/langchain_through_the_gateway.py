"""LangChain through the gateway: ``ChatOpenAI`` pointed at ``routeapi serve`` reaches any provider — here a
Claude model of the offline demo — with only ``base_url`` and ``api_key`` changed."""

from __future__ import annotations

import subprocess
import sys

from gateway_with_sdks import TOKEN, free_port, wait_ready
from langchain_openai import ChatOpenAI


def main() -> str:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "routeapi", "serve", "--demo", "--port", str(port)], stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url)
        llm = ChatOpenAI(model="demo-claude", base_url=f"{url}/v1", api_key=TOKEN, max_retries=0)  # type: ignore[arg-type]
        answer = str(llm.invoke("Hi").content)
        streamed = "".join(str(chunk.content) for chunk in llm.stream("Hi"))
    finally:
        server.terminate()
        server.wait(10)
    print(answer)
    print(streamed)
    return answer


if __name__ == "__main__":
    main()
