"""Anthropic Claude, through the official ``anthropic`` SDK."""

from __future__ import annotations

from typing import Any, ClassVar

from ..errors import ProviderError
from ._stainless import StainlessAdapter, json_body
from .base import Operation


class AnthropicAdapter(StainlessAdapter):
    protocol = "anthropic_messages"
    request_id_header = "request-id"
    paths: ClassVar[dict[Operation, str]] = {"chat": "/v1/messages"}

    def _new_client(self, *, is_async: bool, options: dict[str, Any]) -> Any:
        import anthropic

        factory = anthropic.AsyncAnthropic if is_async else anthropic.Anthropic
        return factory(api_key=self._api_key(), **options)

    def _sdk_errors(self) -> tuple[type[BaseException], type[BaseException], type[BaseException]]:
        import anthropic

        return anthropic.APIStatusError, anthropic.APITimeoutError, anthropic.APIConnectionError

    def _error_from_status(self, exc: Any) -> ProviderError:
        from ..protocols.anthropic_messages import error_from_body

        error = error_from_body(exc.status_code, json_body(exc.response), exc.response.headers)
        error.headers = dict(exc.response.headers)
        return error
