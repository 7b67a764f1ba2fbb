"""The vendor-neutral model every codec translates to and from. Pure data; no I/O."""

from ._unset import UNSET, Maybe, Unset, is_set
from .embeddings import EmbeddingRequest, EmbeddingResponse
from .events import (
    Finish,
    MessageStart,
    PartEnd,
    PartStart,
    StreamEnd,
    StreamEvent,
    TextDelta,
    ThinkingDelta,
    ToolArgumentsDelta,
    UsageUpdate,
)
from .messages import Message, Role
from .parts import (
    AudioPart,
    ContentPart,
    DocumentPart,
    ImagePart,
    Part,
    RefusalPart,
    TextPart,
    ThinkingPart,
    ToolCallPart,
    ToolResultPart,
)
from .request import Adaptation, GenerationSettings, Request
from .response import Choice, FinishReason, Response
from .tools import NamedToolChoice, ResponseFormat, Tool, ToolChoice
from .usage import Usage

__all__ = [
    "UNSET",
    "Adaptation",
    "AudioPart",
    "Choice",
    "ContentPart",
    "DocumentPart",
    "EmbeddingRequest",
    "EmbeddingResponse",
    "Finish",
    "FinishReason",
    "GenerationSettings",
    "ImagePart",
    "Maybe",
    "Message",
    "MessageStart",
    "NamedToolChoice",
    "Part",
    "PartEnd",
    "PartStart",
    "RefusalPart",
    "Request",
    "Response",
    "ResponseFormat",
    "Role",
    "StreamEnd",
    "StreamEvent",
    "TextDelta",
    "TextPart",
    "ThinkingDelta",
    "ThinkingPart",
    "Tool",
    "ToolArgumentsDelta",
    "ToolCallPart",
    "ToolChoice",
    "ToolResultPart",
    "Unset",
    "Usage",
    "UsageUpdate",
    "is_set",
]
