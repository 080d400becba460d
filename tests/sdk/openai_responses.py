"""What the official `openai` SDK reads from an OpenAI Responses stream, as `runnel chat --events`
lines: `python openai_responses.py http://127.0.0.1:PORT/v1 [--model M]`.

The stream is read as the SDK's docs show (`client.responses.create(..., stream=True)`, iterating
its typed events); each event the SDK yields becomes the line Runnel prints for it."""

from openai import OpenAI

from sdk_events import arguments, emit, run


def read(args):
    client = OpenAI(base_url=args.base_url, api_key="test-key", max_retries=0)
    stream = client.responses.create(model=args.model, input=args.prompt, stream=True)
    calls = {}  # output_index -> the call's ordinal among tool calls
    for event in stream:
        if event.type == "response.created":
            emit("start", id=event.response.id, model=event.response.model)
        elif event.type == "response.output_text.delta":
            emit("text", text=event.delta)
        elif event.type == "response.reasoning_summary_text.delta":
            emit("thinking", text=event.delta)
        elif event.type == "response.refusal.delta":
            emit("refusal", text=event.delta)
        elif event.type == "response.output_item.added" and event.item.type == "function_call":
            calls[event.output_index] = len(calls)
            item = event.item
            emit("tool_call", index=calls[event.output_index], id=item.call_id, name=item.name, arguments=item.arguments)
        elif event.type == "response.function_call_arguments.delta":
            emit("tool_call", index=calls[event.output_index], id=None, name=None, arguments=event.delta)
        elif event.type in ("response.completed", "response.incomplete"):
            response = event.response
            usage = response.usage
            if usage is not None:
                details = usage.output_tokens_details
                emit(
                    "usage",
                    input_tokens=usage.input_tokens,
                    output_tokens=usage.output_tokens,
                    reasoning_tokens=details.reasoning_tokens if details else None,
                )
            details = response.incomplete_details
            emit("finish", raw_reason=details.reason if details else response.status)
        elif event.type == "response.failed":
            error = event.response.error
            emit("error", error_type=error.code if error else None, message=error.message if error else "")
        elif event.type == "error":
            emit("error", error_type=event.code, message=event.message)


if __name__ == "__main__":
    args = arguments(__doc__)
    run(lambda: read(args))
