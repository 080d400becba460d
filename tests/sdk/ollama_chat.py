"""What the official `ollama` SDK reads from an Ollama `/api/chat` stream (NDJSON), as
`runnel chat --events` lines: `python ollama_chat.py http://127.0.0.1:PORT [--model M]`.

The stream is read as the SDK's docs show (`ollama.Client(host=...).chat(..., stream=True)`);
each chunk's message (thinking, content, tool calls) and the final chunk's counts and
`done_reason` become the lines Runnel prints for them. Tool calls come whole: their arguments
are printed as JSON."""

import json

import ollama

from sdk_events import arguments, emit, run


def read(args):
    client = ollama.Client(host=args.base_url)
    calls = 0
    started = False
    messages = [{"role": "user", "content": args.prompt}]
    for chunk in client.chat(model=args.model, messages=messages, stream=True):
        if not started:
            started = True
            emit("start", id=None, model=chunk.model)
        message = chunk.message
        if message.thinking:
            emit("thinking", text=message.thinking)
        if message.content:
            emit("text", text=message.content)
        for call in message.tool_calls or []:
            emit("tool_call", index=calls, id=None, name=call.function.name, arguments=json.dumps(call.function.arguments))
            calls += 1
        if chunk.done:
            emit(
                "usage",
                input_tokens=chunk.prompt_eval_count,
                output_tokens=chunk.eval_count,
                generation_ns=chunk.eval_duration,
            )
            emit("finish", raw_reason=chunk.done_reason)


if __name__ == "__main__":
    args = arguments(__doc__)
    run(lambda: read(args))
