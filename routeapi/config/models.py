"""The configuration schema, validated by pydantic. ``docs/configuration.md`` documents every key."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal, cast

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from ..catalog.vendors import VENDORS
from ..fetch import FetchPolicy


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProviderConfig(_Section):
    """One set of credentials at one provider. ``type`` picks the adapter: ``openai``, ``azure_openai``,
    ``anthropic``, ``gemini``, ``bedrock`` or an OpenAI-compatible vendor (``deepseek``, ``groq``, ``ollama``...).
    Keys left out are read from the vendor's usual environment variable (``OPENAI_API_KEY``...)."""

    type: str = Field(
        description="The adapter: openai, azure_openai, anthropic, gemini, bedrock, or an OpenAI-compatible vendor "
        "(deepseek, groq, mistral, together, fireworks, openrouter, xai, ollama, lmstudio, vllm)."
    )
    api_key: SecretStr | None = Field(
        default=None, description="Secret. Default: the vendor's variable (OPENAI_API_KEY, ANTHROPIC_API_KEY...)."
    )
    base_url: str | None = Field(default=None, description="Another endpoint: a proxy, a vLLM server, a test fake.")
    headers: dict[str, str] = Field(
        default_factory=dict[str, str], description="Extra headers on every request to this provider."
    )
    timeout: float | None = Field(default=None, gt=0, description="Overrides timeouts.request for this provider.")
    organization: str | None = Field(default=None, description="OpenAI organization.")
    project: str | None = Field(default=None, description="OpenAI project; Vertex AI project.")
    endpoint: str | None = Field(
        default=None, description="Azure OpenAI resource endpoint. Default: AZURE_OPENAI_ENDPOINT."
    )
    api_version: str | None = Field(
        default=None,
        description="Azure: api-version (default OPENAI_API_VERSION or 2024-10-21; 'v1' selects the /openai/v1 "
        "endpoint). Gemini: API version (default v1beta).",
    )
    azure_ad_token: SecretStr | None = Field(default=None, description="Azure: a Microsoft Entra ID token.")
    azure_ad_token_provider: Callable[[], str] | None = Field(
        default=None, description="Microsoft Entra ID token provider (in code only), instead of api_key."
    )
    region: str | None = Field(default=None, description="Bedrock: AWS region. Default: the AWS chain's.")
    endpoint_url: str | None = Field(default=None, description="Bedrock: another bedrock-runtime endpoint.")
    aws_access_key_id: SecretStr | None = Field(default=None, description="Bedrock. Default: the AWS chain.")
    aws_secret_access_key: SecretStr | None = Field(default=None, description="Bedrock. Default: the AWS chain.")
    aws_session_token: SecretStr | None = Field(default=None, description="Bedrock. Default: the AWS chain.")
    profile: str | None = Field(default=None, description="Bedrock: a profile of ~/.aws/config.")
    max_concurrency: int = Field(
        default=64, ge=1, description="Bedrock: calls in flight at once (boto3 is blocking: this many threads)."
    )
    vertexai: bool = Field(default=False, description="Gemini through Vertex AI (project, location, ADC).")
    location: str | None = Field(default=None, description="Vertex AI location.")

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        if value not in VENDORS:
            raise ValueError(f"unknown provider type {value!r}; known: {', '.join(sorted(VENDORS))}")
        return value


class Capabilities(_Section):
    """What a deployment's model can do, where the catalog does not know it or is wrong. Unset: the catalog's
    answer; for a model it does not know, assumed capable (prefill: known absent on OpenAI, Azure and Gemini)."""

    tools: bool | None = Field(default=None, description="Can call tools (function calling).")
    vision: bool | None = Field(default=None, description="Accepts images.")
    json_schema: bool | None = Field(
        default=None, description="Has native JSON-schema output (else emulated with a forced tool call)."
    )
    prefill: bool | None = Field(default=None, description="Continues a final assistant message as a prefix.")
    context_window: int | None = Field(default=None, gt=0, description="Input plus output tokens it can take.")


class Deployment(_Section):
    """A model at a provider. ``provider`` names an entry of ``providers`` or a provider type used with its
    environment credentials."""

    provider: str = Field(description="A providers entry, or a provider type used with its environment key.")
    model: str = Field(description="The model name at that provider.")
    weight: float = Field(default=1.0, ge=0, description="Share of traffic under the weighted strategy.")
    priority: int = Field(default=0, description="Lower is tried first; the strategy orders equal priorities.")
    capabilities: Capabilities = Field(
        default_factory=Capabilities, description="Overrides the catalog's capabilities for this deployment."
    )

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, value: Any) -> Any:
        if isinstance(value, str):
            provider, sep, model = value.partition("/")
            if not sep or not provider or not model:
                raise ValueError(f"expected 'provider/model', got {value!r}")
            return {"provider": provider, "model": model}
        return value


class ModelConfig(_Section):
    """A model ID callers use (an alias), served by one or more deployments, with fallbacks tried in order."""

    deployments: Annotated[
        list[Deployment],
        Field(min_length=1, description='Where the alias is served: {provider, model, ...} or "provider/model".'),
    ]
    fallbacks: list[str] = Field(
        default_factory=list[str], description="Model IDs tried in order once every deployment failed."
    )
    max_tokens: int | None = Field(default=None, gt=0, description="Default max_tokens when the caller gives none.")
    first_token_timeout: float | None = Field(default=None, gt=0, description="Overrides timeouts.first_token.")
    stream_idle_timeout: float | None = Field(default=None, gt=0, description="Overrides timeouts.stream_idle.")
    on_interrupt: Literal["raise", "continue"] = Field(
        default="raise",
        description="A stream that breaks after content: raise StreamInterrupted, or continue on the next target.",
    )
    hedge_after: float | None = Field(
        default=None,
        gt=0,
        description="Stream: with no first token after this many seconds, start the next target too; keep the first.",
    )

    @model_validator(mode="before")
    @classmethod
    def _from_shorthand(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"deployments": [value]}
        if isinstance(value, list):
            return {"deployments": cast("list[Any]", value)}
        return value


class RoutingConfig(_Section):
    strategy: Literal["priority", "weighted", "round_robin", "least_latency"] = Field(
        default="priority", description="How an alias's deployments are ordered for each call."
    )
    failure_threshold: int = Field(default=3, ge=1, description="Consecutive failures that open a circuit.")
    cooldown_seconds: float = Field(default=30.0, ge=0, description="How long an open circuit skips a deployment.")
    attempts_per_second: int = Field(
        default=2, ge=1, description="Most attempts started against one deployment in any one second."
    )
    fallback_on_content_filter: bool = Field(
        default=False, description="Try the next target when a provider filters the content (else stop)."
    )


class RetryConfig(_Section):
    max_attempts: int = Field(default=3, ge=1, description="Attempts per deployment, the first included.")
    initial_backoff: float = Field(default=0.5, ge=0, description="Seconds before the first retry; then doubling.")
    max_backoff: float = Field(default=8.0, ge=0, description="Backoff cap (a longer Retry-After still applies).")


class TimeoutConfig(_Section):
    connect: float = Field(default=5.0, gt=0, description="TCP and TLS connect.")
    request: float = Field(default=600.0, gt=0, description="One attempt, start to last byte.")
    first_token: float | None = Field(default=None, gt=0, description="Stream: time to the first content.")
    stream_idle: float | None = Field(default=None, gt=0, description="Stream: longest pause between events.")
    total: float | None = Field(default=None, gt=0, description="Whole call: every attempt, backoff and fallback.")


class ServerToken(_Section):
    """One routeapi token a caller presents. ``name`` identifies the caller in logs; the token never appears there."""

    name: str = Field(min_length=1, description="Who presents it; shown in logs.")
    token: SecretStr = Field(description="The secret the caller sends. Never logged.")

    @field_validator("token")
    @classmethod
    def _not_empty(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value():
            raise ValueError("must not be empty")
        return value


DEFAULT_DATABASE = "sqlite:///./routeapi.db"


class StorageSettings(_Section):
    """``server.storage``: the database (tokens, usage) and, for several replicas, Redis (limit counters)."""

    database: str = Field(
        default=DEFAULT_DATABASE,
        description="sqlite:///path (relative), sqlite:////abs/path, or postgresql://user:pass@host:port/db.",
    )
    redis: str | None = Field(
        default=None, description="redis://host:port/db: rate-limit and budget counters shared by every replica."
    )
    usage_flush_interval: float = Field(default=1.0, gt=0, description="Seconds between usage batch writes.")
    usage_batch_size: int = Field(default=100, gt=0, description="A batch this large is written at once.")
    usage_queue_limit: int = Field(
        default=100_000, gt=0, description="Records held while the database is unreachable; older ones are dropped."
    )
    token_cache_ttl: float = Field(
        default=2.0, gt=0, description="Seconds a managed token lookup is reused: revocations apply within it."
    )


class ServerConfig(_Section):
    """Tokens and limits of ``routeapi serve`` (the gateway). Limits apply per worker process."""

    tokens: list[ServerToken] = Field(
        default_factory=list[ServerToken], description="Tokens accepted by the gateway: [{name, token}]."
    )
    max_body_bytes: int = Field(default=32 * 1024 * 1024, gt=0, description="Larger request bodies get a 413.")
    max_concurrent_requests: int = Field(default=256, gt=0, description="Requests beyond it get a 429.")
    max_concurrent_streams: int = Field(default=128, gt=0, description="Streams beyond it get a 429.")
    request_timeout: float = Field(default=600.0, gt=0, description="Seconds for a whole request, streams included.")
    ping_interval: float = Field(default=10.0, gt=0, description="Seconds of silence before an Anthropic ping.")
    header_timeout: float = Field(
        default=10.0, gt=0, description="Seconds a connection has to send a request's headers; then it is closed."
    )
    body_timeout: float = Field(
        default=30.0, gt=0, description="Seconds a request's body has to arrive once its headers did; then a 408."
    )
    storage: StorageSettings | None = Field(
        default=None,
        description="Tokens and usage database, and shared counters. Default: ROUTEAPI_DATABASE / ROUTEAPI_REDIS, "
        "else ./routeapi.db.",
    )

    @field_validator("tokens")
    @classmethod
    def _distinct_tokens(cls, tokens: list[ServerToken]) -> list[ServerToken]:
        if len({t.name for t in tokens}) != len(tokens):
            raise ValueError("two tokens have the same name")
        if len({t.token.get_secret_value() for t in tokens}) != len(tokens):
            raise ValueError("two tokens have the same value")
        return tokens


_FETCH = FetchPolicy()


class MediaFetchConfig(_Section):
    """How routes that need bytes (Bedrock) fetch the remote images and documents a request names by URL. The
    defaults suit a gateway facing the internet: public addresses only, never cloud metadata (docs/security.md)."""

    allow_private: bool = Field(
        default=_FETCH.allow_private,
        description="Also fetch from loopback, private and link-local addresses (cloud metadata stays refused).",
    )
    allow_hosts: list[str] = Field(
        default_factory=lambda: list(_FETCH.allow_hosts),
        description="Host names, addresses or networks (10.1.0.0/16) fetched whatever they resolve to.",
    )
    max_bytes: int = Field(default=_FETCH.max_bytes, gt=0, description="Larger answers are refused.")
    timeout: float = Field(default=_FETCH.timeout, gt=0, description="Seconds for one fetch, redirects included.")
    max_redirects: int = Field(default=_FETCH.max_redirects, ge=0, description="Redirects followed, each re-checked.")
    content_types: list[str] = Field(
        default_factory=lambda: list(_FETCH.content_types),
        description="Accepted media types; an entry ending in / is a prefix (images must be image/*).",
    )
    max_urls: int = Field(default=20, ge=0, description="Distinct URLs fetched for one request; more are refused.")


class RouteConfig(_Section):
    """The whole configuration: ``RouteClient(**sections)`` or a YAML file with the same keys."""

    providers: dict[str, ProviderConfig] = Field(default_factory=dict[str, ProviderConfig])
    models: dict[str, ModelConfig] = Field(default_factory=dict[str, ModelConfig])
    routing: RoutingConfig = Field(default_factory=RoutingConfig)
    retry: RetryConfig = Field(default_factory=RetryConfig)
    timeouts: TimeoutConfig = Field(default_factory=TimeoutConfig)
    server: ServerConfig = Field(default_factory=ServerConfig)
    media_fetch: MediaFetchConfig = Field(default_factory=MediaFetchConfig)

    @model_validator(mode="after")
    def _references_resolve(self) -> RouteConfig:
        for alias, model in self.models.items():
            for i, deployment in enumerate(model.deployments):
                if deployment.provider not in self.providers and deployment.provider not in VENDORS:
                    raise ValueError(
                        f"models.{alias}.deployments[{i}].provider: {deployment.provider!r} is neither a configured "
                        "provider nor a provider type"
                    )
        return self
