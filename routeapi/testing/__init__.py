"""Fake vendor APIs on loopback for tests: scriptable per model, with fault injection.

Point the real vendor SDKs at ``fake.base_url``; script answers with :class:`Reply` and failures with
:class:`Fault`; inspect :attr:`FakeUpstream.requests`. Importing this package imports no vendor SDK.
"""

from routeapi.testing._base import FakeUpstream, RecordedRequest
from routeapi.testing._script import Fault, Reply, ToolCall
from routeapi.testing.anthropic_fake import FakeAnthropic
from routeapi.testing.azure_fake import FakeAzureOpenAI
from routeapi.testing.bedrock_fake import FakeBedrock
from routeapi.testing.gemini_fake import FakeGemini
from routeapi.testing.openai_fake import FakeOpenAI

__all__ = [
    "Fault",
    "FakeAnthropic",
    "FakeAzureOpenAI",
    "FakeBedrock",
    "FakeGemini",
    "FakeOpenAI",
    "FakeUpstream",
    "RecordedRequest",
    "Reply",
    "ToolCall",
]
