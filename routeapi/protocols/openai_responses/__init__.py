"""OpenAI Responses API (``POST /responses``): requests, responses, streams and errors.

Round trips are exact for bodies this codec decoded. Unmodelled top-level parameters (``previous_response_id``,
``store``, ``include``, ``text.verbosity``...) sit in ``Request.extra``; wire-form choices (string or parts content,
item ids and statuses, typed or "easy" messages...) in ``provider_details["openai_responses"]``.

How the item list maps to the IR:

- ``instructions`` is a leading system message marked as such. From other protocols, system/developer messages
  become ``instructions`` when they all lead the conversation, else they stay input messages in place.
- Consecutive assistant-side items (reasoning, assistant messages, function calls) form one assistant message, as
  every other protocol has it; each part remembers which item it came from, so the items come back as they were.
- Each ``function_call_output`` item is one ``tool`` message.
- Items the IR cannot model (``item_reference``, hosted-tool calls...) stay in ``Request.extra`` under their input
  path (``"input[3]"``): another protocol reports them dropped, this codec puts them back in place.
- Hosted tools (web search, file search, MCP...) stay in ``Request.extra["tools"]``. :func:`check_portable` refuses
  to route them, or files referenced by id, to another protocol: losing them silently would change the answer.

Modules: ``codec`` (the codec class), ``request_decoding`` / ``request_encoding`` / ``assistant_encoding``
(request bodies and assistant items), ``response`` (envelope, status, usage), ``errors``, ``stream_decoder``,
``stream_encoder``, ``portability`` (:func:`check_portable`), and the shared helpers ``content``, ``json_values``,
``provider_details`` and ``adaptations``.
"""

from __future__ import annotations

from .codec import OpenAIResponsesCodec
from .portability import check_portable
from .provider_details import NAME as NAME
from .stream_decoder import OpenAIResponsesStreamDecoder
from .stream_encoder import OpenAIResponsesStreamEncoder

__all__ = [
    "OpenAIResponsesCodec",
    "OpenAIResponsesStreamDecoder",
    "OpenAIResponsesStreamEncoder",
    "check_portable",
]
