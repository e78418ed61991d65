"""Scripted models for the framework tests: each answers from a script, so no network is used."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from typing import Any

from google.adk.models.base_llm import BaseLlm
from google.adk.models.llm_request import LlmRequest
from google.adk.models.llm_response import LlmResponse
from google.genai import types
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import Field

RM_RF = {"command": "rm -rf /"}
WEATHER = {"city": "Paris"}


class ScriptedChatModel(BaseChatModel):
    """A LangChain chat model that answers turn N with ``script[N]`` and records its inputs."""

    script: list[AIMessage]
    seen: list[list[BaseMessage]] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        self.seen.append(list(messages))
        turn = len(self.seen) - 1
        message = self.script[turn] if turn < len(self.script) else AIMessage(content="done")
        return ChatResult(generations=[ChatGeneration(message=message)])

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> ScriptedChatModel:  # type: ignore[override]
        return self


def rm_then_weather(shell_tool: str = "terminal") -> ScriptedChatModel:
    """The model of every LangGraph test: ``rm -rf /`` and a weather lookup, then an answer."""
    return ScriptedChatModel(
        script=[
            AIMessage(
                content="",
                tool_calls=[
                    {"name": shell_tool, "args": RM_RF, "id": "call_rm", "type": "tool_call"},
                    {"name": "get_weather", "args": WEATHER, "id": "call_wx", "type": "tool_call"},
                ],
            ),
            AIMessage(content="The cleanup was refused; Paris is sunny."),
        ]
    )


class ScriptedLlm(BaseLlm):
    """An ADK model that answers turn N with ``script[N]`` and records every request."""

    script: list[types.Content] = Field(default_factory=list)
    requests: list[LlmRequest] = Field(default_factory=list)

    async def generate_content_async(
        self, llm_request: LlmRequest, stream: bool = False
    ) -> AsyncGenerator[LlmResponse, None]:
        self.requests.append(llm_request.model_copy(deep=True))
        turn = len(self.requests) - 1
        if turn < len(self.script):
            content = self.script[turn]
        else:
            content = types.Content(role="model", parts=[types.Part(text="done")])
        yield LlmResponse(content=content)


def adk_rm_then_weather(shell_tool: str = "bash") -> ScriptedLlm:
    calls = [
        types.Part(function_call=types.FunctionCall(id="c_rm", name=shell_tool, args=RM_RF)),
        types.Part(function_call=types.FunctionCall(id="c_wx", name="get_weather", args=WEATHER)),
    ]
    return ScriptedLlm(model="scripted", script=[types.Content(role="model", parts=calls)])


def function_responses(request: LlmRequest) -> dict[str, dict[str, Any]]:
    """Tool name → the function response the model was given, in one ADK request."""
    found: dict[str, dict[str, Any]] = {}
    for content in request.contents:
        for part in content.parts or []:
            if part.function_response is not None and part.function_response.name:
                found[part.function_response.name] = dict(part.function_response.response or {})
    return found
