"""pytest fixtures ``fake_<vendor>`` (openai, anthropic, bedrock, gemini, azure): one server per test session,
reset before each test.

Registered as a ``pytest11`` entry point, so it loads in every pytest run: the fakes are imported only when a
fixture is used.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from routeapi.testing import FakeAnthropic, FakeAzureOpenAI, FakeBedrock, FakeGemini, FakeOpenAI


@pytest.fixture(scope="session")
def _routeapi_fake_openai_server() -> Iterator[FakeOpenAI]:
    from routeapi.testing import FakeOpenAI

    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture(scope="session")
def _routeapi_fake_anthropic_server() -> Iterator[FakeAnthropic]:
    from routeapi.testing import FakeAnthropic

    with FakeAnthropic() as fake:
        yield fake


@pytest.fixture
def fake_openai(_routeapi_fake_openai_server: FakeOpenAI) -> FakeOpenAI:
    """A running FakeOpenAI with no scripts and no recorded requests (any API key accepted)."""
    _routeapi_fake_openai_server.reset()
    return _routeapi_fake_openai_server


@pytest.fixture
def fake_anthropic(_routeapi_fake_anthropic_server: FakeAnthropic) -> FakeAnthropic:
    """A running FakeAnthropic with no scripts and no recorded requests (any API key accepted)."""
    _routeapi_fake_anthropic_server.reset()
    return _routeapi_fake_anthropic_server


@pytest.fixture(scope="session")
def _routeapi_fake_bedrock_server() -> Iterator[FakeBedrock]:
    from routeapi.testing import FakeBedrock

    with FakeBedrock() as fake:
        yield fake


@pytest.fixture
def fake_bedrock(_routeapi_fake_bedrock_server: FakeBedrock) -> FakeBedrock:
    """A running FakeBedrock with no scripts and no recorded requests (any credentials accepted)."""
    _routeapi_fake_bedrock_server.reset()
    return _routeapi_fake_bedrock_server


@pytest.fixture(scope="session")
def _routeapi_fake_gemini_server() -> Iterator[FakeGemini]:
    from routeapi.testing import FakeGemini

    with FakeGemini() as fake:
        yield fake


@pytest.fixture
def fake_gemini(_routeapi_fake_gemini_server: FakeGemini) -> FakeGemini:
    """A running FakeGemini with no scripts and no recorded requests (any API key accepted)."""
    _routeapi_fake_gemini_server.reset()
    return _routeapi_fake_gemini_server


@pytest.fixture(scope="session")
def _routeapi_fake_azure_server() -> Iterator[FakeAzureOpenAI]:
    from routeapi.testing import FakeAzureOpenAI

    with FakeAzureOpenAI() as fake:
        yield fake


@pytest.fixture
def fake_azure(_routeapi_fake_azure_server: FakeAzureOpenAI) -> FakeAzureOpenAI:
    """A running FakeAzureOpenAI with no scripts and no recorded requests (any API key accepted)."""
    _routeapi_fake_azure_server.reset()
    return _routeapi_fake_azure_server
