"""Function call ids. Gemini rarely sends ids: synthesise stable ones and pair each response with its call."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class _Call:
    id: str
    name: str
    turn: int
    answered: bool = False


class CallLedger:
    """Function calls seen so far in one request, response or stream, in order."""

    def __init__(self) -> None:
        self._calls: list[_Call] = []
        self._orphans = 0

    def add_call(self, name: str, wire_id: str | None, turn: int) -> str:
        call_id = wire_id or f"call_{name}_{len(self._calls)}"
        self._calls.append(_Call(call_id, name, turn))
        return call_id

    def match_response(self, name: str, wire_id: str | None, turn: int) -> str:
        """The id of the call a function response answers: by id when given, else the earliest unanswered call of
        that name in the latest earlier turn that has one."""
        if wire_id:
            for call in self._calls:
                if call.id == wire_id and not call.answered:
                    call.answered = True
                    break
            return wire_id
        pending = [call for call in self._calls if call.name == name and call.turn < turn and not call.answered]
        if not pending:
            self._orphans += 1
            return f"call_{name}_r{self._orphans}"
        latest_turn = max(call.turn for call in pending)
        call = next(call for call in pending if call.turn == latest_turn)
        call.answered = True
        return call.id
