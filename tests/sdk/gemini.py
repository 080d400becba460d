"""What the official `google-genai` SDK reads from a Gemini `streamGenerateContent` stream, as
`runnel chat --events` lines: `python gemini.py http://127.0.0.1:PORT [--model M]`.

The stream is read as the SDK's docs show (`client.models.generate_content_stream(...)`, with
`http_options` pointing the client at the fake); each chunk's parts, usage and finish reason
become the lines Runnel prints for them. Function calls come whole: their arguments are printed
as JSON; a blocked prompt's block reason is printed as the finish reason."""

import json

from google import genai
from google.genai import types

from sdk_events import arguments, emit, run


def read(args):
    # The API version Runnel speaks, named: this SDK's own default is v1 (not v1beta).
    options = types.HttpOptions(base_url=args.base_url, api_version="v1beta")
    client = genai.Client(api_key="test-key", http_options=options)
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
            counts = [count for count in (usage.candidates_token_count, thoughts) if count is not None]
            emit(
                "usage",
                input_tokens=usage.prompt_token_count,
                output_tokens=sum(counts) if counts else None,
                reasoning_tokens=thoughts,
            )
        # How the answer ended: a candidate's finish reason, or the prompt's block reason (the
        # prompt was refused: no candidate comes).
        feedback = chunk.prompt_feedback
        reasons = [candidate.finish_reason for candidate in chunk.candidates or []]
        reasons.append(feedback.block_reason if feedback else None)
        for reason in reasons:
            if reason is not None:
                emit("finish", raw_reason=getattr(reason, "value", reason))


if __name__ == "__main__":
    args = arguments(__doc__)
    run(lambda: read(args))
