"""What the official `google-genai` SDK reads from a Gemini `streamGenerateContent` stream, as
`runnel chat --events` lines: `python gemini.py http://127.0.0.1:PORT [--model M]`.

The stream is read as the SDK's docs show (`client.models.generate_content_stream(...)`, with
`http_options` pointing the client at the fake); each chunk's parts, usage and finish reason
become the lines Runnel prints for them. Function calls come whole: their arguments are printed
as JSON."""

import json

from google import genai
from google.genai import types

from sdk_events import arguments, emit, run


def read(args):
    client = genai.Client(api_key="test-key", http_options=types.HttpOptions(base_url=args.base_url))
    calls = 0
    started = False
    for chunk in client.models.generate_content_stream(model=args.model, contents=args.prompt):
        if not started:
            started = True
            emit("start", id=chunk.response_id, model=chunk.model_version)
        for candidate in chunk.candidates or []:
            for part in (candidate.content.parts if candidate.content else None) or []:
                if part.function_call is not None:
                    call = part.function_call
                    emit("tool_call", index=calls, id=call.id, name=call.name, arguments=json.dumps(call.args or {}))
                    calls += 1
                elif part.text and part.thought:
                    emit("thinking", text=part.text)
                elif part.text:
                    emit("text", text=part.text)
        usage = chunk.usage_metadata
        if usage is not None and (usage.prompt_token_count is not None or usage.candidates_token_count is not None):
            # Runnel's output tokens are all the answer's, its reasoning among them; Gemini counts
            # the thoughts apart from the candidates.
            thoughts = usage.thoughts_token_count
            emit(
                "usage",
                input_tokens=usage.prompt_token_count,
                output_tokens=(usage.candidates_token_count or 0) + (thoughts or 0),
                reasoning_tokens=thoughts,
            )
        for candidate in chunk.candidates or []:
            if candidate.finish_reason is not None:
                reason = candidate.finish_reason
                emit("finish", raw_reason=getattr(reason, "value", reason))


if __name__ == "__main__":
    args = arguments(__doc__)
    run(lambda: read(args))
