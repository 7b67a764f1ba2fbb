"""Azure OpenAI, through the ``openai`` SDK's ``AzureOpenAI`` client (deployment paths, ``api-version``, ``api-key``
or Microsoft Entra ID), or its plain client on the version-less ``/openai/v1`` endpoint (``api_version: v1``).

Bodies and responses are OpenAI's, so everything else — pass-through, streaming, error mapping — is the OpenAI
adapter's. Content-filter results stay in the response (``prompt_filter_results``, ``content_filter_results``).
"""

from __future__ import annotations

from typing import Any

from .openai import OpenAIAdapter


class AzureOpenAIAdapter(OpenAIAdapter):
    def _new_client(self, *, is_async: bool, options: dict[str, Any]) -> Any:
        import openai

        config = self._config
        endpoint = (config.endpoint or "").rstrip("/")
        key = config.api_key.get_secret_value() if config.api_key else None
        if config.api_version == "v1":
            factory = openai.AsyncOpenAI if is_async else openai.OpenAI
            headers: dict[str, str] = dict(options.pop("default_headers") or {})
            if key:
                headers["api-key"] = key
            options["base_url"] = config.base_url or f"{endpoint}/openai/v1/"
            return factory(api_key=key or self._entra_token(), default_headers=headers, **options)
        options.pop("base_url", None)
        factory = openai.AsyncAzureOpenAI if is_async else openai.AzureOpenAI
        return factory(
            azure_endpoint=endpoint,
            api_version=config.api_version,
            api_key=key,
            azure_ad_token=config.azure_ad_token.get_secret_value() if config.azure_ad_token else None,
            azure_ad_token_provider=config.azure_ad_token_provider,
            **options,
        )

    def _entra_token(self) -> str:
        config = self._config
        if config.azure_ad_token is not None:
            return config.azure_ad_token.get_secret_value()
        if config.azure_ad_token_provider is not None:
            return config.azure_ad_token_provider()
        return "unused"
