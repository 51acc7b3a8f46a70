/**
 * The streamed Responses answer: the SDK's stream helper over the events, and fetch for the SSE
 * bytes. Sources: vllm-project/vllm responses/api_router.py `_convert_stream_to_sse_events`
 * (`event: <type>\ndata: <json>\n\n`, no `[DONE]`), serving_responses.py
 * `_process_simple_streaming_events` and `responses_stream_generator` (event order,
 * sequence_number from 0), responses/simple_streaming_events.py (function call events).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  type GenerationEvent,
  ManualClock,
  type ReadySteps,
  readySteps,
  realClock,
  type TextEngine,
  writeStreamBody,
} from "@servingkit/mock-core";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { modelNotFound } from "./errors.js";
import { prepareResponse, ResponseStore } from "./responses.js";
import { parseResponsesRequest } from "./responses-request.js";
import { responseStream } from "./responses-stream.js";
import { loadServedModel, type StartedModel, startModel } from "./served-model.js";
import { readVllmSettings } from "./settings.js";
import { CoarseClock, openaiClient, startVllm, type TestServer } from "./test-server.js";

/** The events of a raw SSE body: each frame's `event:` name and parsed `data:`. */
function framesOf(body: string): { event: string; data: Record<string, unknown> }[] {
  expect(body.endsWith("\n\n")).toBe(true);
  return body
    .slice(0, -2)
    .split("\n\n")
    .map((frame) => {
      const match = /^event: (\S+)\ndata: (.*)$/s.exec(frame);
      if (!match) throw new Error(`not an event frame: ${JSON.stringify(frame)}`);
      return { event: match[1] ?? "", data: JSON.parse(match[2] ?? "") };
    });
}

/** The raw SSE body of a streamed POST /v1/responses. */
async function postText(server: TestServer, body: object): Promise<string> {
  const raw = await fetch(`${server.url}/v1/responses`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ...body, stream: true }),
  });
  expect(raw.status).toBe(200);
  return raw.text();
}

const weatherTool = {
  type: "function",
  name: "get_weather",
  parameters: { type: "object", properties: { city: { type: "string" } } },
  strict: false,
} as const;

describe("streamed responses", () => {
  let server: TestServer;
  let client: OpenAI;
  beforeAll(async () => {
    server = await startVllm({ "served-model-name": "granite" });
    client = openaiClient(server);
  });
  afterAll(() => server.close());

  // serving_responses.py _process_simple_streaming_events before vllm PR #29947 (0.12 here, the
  // default): current_content_index is 0 for the content part, then += 1 after it and after every
  // delta, so the deltas count 1, 2, ... and the done events go on from there (vllm PR #29947's
  // own "before" output shows content_index=12, 13, ... on successive deltas).
  it("streams the text events in vLLM's order, content_index counting up per event", async () => {
    const events = await client.responses.create({
      model: "granite",
      input: "Say hello",
      max_output_tokens: 4,
      ignore_eos: true,
      stream: true,
    } as Parameters<OpenAI["responses"]["create"]>[0] & { stream: true });
    const types: string[] = [];
    const sequence: number[] = [];
    const contentIndex: number[] = [];
    let deltas = "";
    let completed: OpenAI.Responses.Response | undefined;
    for await (const event of events) {
      types.push(event.type);
      sequence.push(event.sequence_number);
      if ("content_index" in event) contentIndex.push(event.content_index);
      if (event.type === "response.output_text.delta") deltas += event.delta;
      if (event.type === "response.completed") completed = event.response;
    }
    expect(types).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
      "response.output_text.delta",
      "response.output_text.delta",
      "response.output_text.delta",
      "response.output_text.delta",
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.completed",
    ]);
    expect(sequence).toEqual(types.map((_, i) => i));
    expect(contentIndex).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(completed?.status).toBe("completed");
    expect(completed?.usage?.output_tokens).toBe(4);
    expect(deltas.length).toBeGreaterThan(0);
  });

  // openai-node ResponseStream applies a text delta to output.content[content_index]: against the
  // counting stream (0.10.2-0.17) the first delta (content_index 1) has no part to go to.
  it("is a stream the SDK's stream helper cannot follow", async () => {
    const stream = client.responses.stream({
      model: "granite",
      input: "Say hello",
      max_output_tokens: 4,
    });
    await expect(stream.finalResponse()).rejects.toThrow("missing content at index 1");
  });

  // vllm PR #30237 (opened 2025-12-08 against the code 0.12 shipped): SimpleContext kept only the
  // newest output, so response.completed showed the last delta's text, or `output: []` when the
  // last output was the empty EOS step ("the final response.completed event had an empty output
  // array"). Every output is a delta, the empty EOS one too (DeltaMessage(content="") is sent).
  it("completes with the last output's text alone before vllm PR #30237", async () => {
    const body = { input: "Hi", max_output_tokens: 3, ignore_eos: true, stream: true };
    const frames = framesOf(await postText(server, body));
    const deltas = frames.filter((f) => f.event === "response.output_text.delta");
    const completed = frames.at(-1)?.data.response as OpenAI.Responses.Response;
    expect(completed.output).toHaveLength(1);
    const [message] = completed.output;
    if (message?.type !== "message") throw new Error("no message");
    expect(message.content[0]).toMatchObject({
      type: "output_text",
      text: deltas.at(-1)?.data.delta,
    });
    // text.format with an empty object schema: "{}", then EOS, an output with no text.
    const schema = {
      type: "json_schema",
      name: "empty",
      schema: { type: "object", properties: {} },
    };
    const eos = framesOf(
      await postText(server, { ...body, ignore_eos: false, text: { format: schema } }),
    );
    expect(eos.filter((f) => f.event === "response.output_text.delta").at(-1)?.data.delta).toBe("");
    const done = eos.find((f) => f.event === "response.output_text.done");
    expect(done?.data.text).toBe("{}");
    const eosCompleted = eos.at(-1)?.data.response as { output: unknown[] } | undefined;
    expect(eosCompleted?.output).toEqual([]);
  });

  // responses/api_router.py _convert_stream_to_sse_events writes each event with
  // event.model_dump_json(indent=None), no by_alias (the stored api_router.py versions;
  // docs.vllm.ai's api_router page, lastmod 2026-09-23, shows by_alias=True: a later release): response.created, response.in_progress and response.completed
  // carry the request's ResponseTextConfig with the JSON schema under `schema_` (openai-python
  // response_format_text_json_schema_config.py), nulls written, as the non-streamed answer does.
  it("prints text.format's schema as schema_ in created, in_progress and completed", async () => {
    const schema = { type: "object", properties: {} };
    const frames = framesOf(
      await postText(server, {
        model: "granite",
        input: "Hi",
        text: { format: { type: "json_schema", name: "empty", schema, strict: true } },
      }),
    );
    const carrying = frames.filter((f) => f.data.response !== undefined);
    expect(carrying.map((f) => f.event)).toEqual([
      "response.created",
      "response.in_progress",
      "response.completed",
    ]);
    for (const frame of carrying) {
      expect((frame.data.response as { text: unknown }).text).toEqual({
        format: {
          schema_: schema,
          type: "json_schema",
          description: null,
          name: "empty",
          strict: true,
        },
        verbosity: null,
      });
    }
  });

  it("frames every event with an event line and ends without [DONE]", async () => {
    const raw = await fetch(`${server.url}/v1/responses`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ input: "Hi", max_output_tokens: 2, stream: true }),
    });
    expect(raw.status).toBe(200);
    // Starlette's StreamingResponse adds the charset to text/event-stream.
    expect(raw.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    const body = await raw.text();
    expect(body.startsWith('event: response.created\ndata: {"response":{"id":"resp_')).toBe(true);
    expect(body).not.toContain("[DONE]");
    const frames = framesOf(body);
    for (const frame of frames) expect(frame.data.type).toBe(frame.event);
    const created = frames[0]?.data.response as Record<string, unknown>;
    expect(created.status).toBe("in_progress");
    expect(created.output).toEqual([]);
    expect(created.usage).toBeNull();
    const completed = frames.at(-1)?.data.response as Record<string, unknown>;
    expect(completed.id).toBe(created.id);
    expect(completed.status).toBe("completed");
    // The delta event's keys in openai's ResponseTextDeltaEvent order (pydantic dumps it so).
    const delta = frames.find((f) => f.event === "response.output_text.delta");
    expect(Object.keys(delta?.data ?? {})).toEqual([
      "content_index",
      "delta",
      "item_id",
      "logprobs",
      "output_index",
      "sequence_number",
      "type",
    ]);
  });

  // serving_responses.py _process_simple_streaming_events: current_item_id = str(uuid.uuid4())
  // (vllm PR #36445's output of March 2026 shows item_id='24cf2c7d-f2cb-...'); the done item is
  // ResponseOutputMessage(..., summary=[]); response.completed comes from the full generator,
  // whose message id is msg_<hex>.
  it("names the streamed message with a plain uuid and the completed one msg_", async () => {
    const raw = await fetch(`${server.url}/v1/responses`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ input: "Hi", max_output_tokens: 2, stream: true }),
    });
    const frames = framesOf(await raw.text());
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    const added = frames.find((f) => f.event === "response.output_item.added")?.data.item as {
      id: string;
    };
    expect(added.id).toMatch(uuid);
    for (const frame of frames) {
      if ("item_id" in frame.data) expect(frame.data.item_id).toBe(added.id);
    }
    const done = frames.find((f) => f.event === "response.output_item.done")?.data.item as Record<
      string,
      unknown
    >;
    expect(done.id).toBe(added.id);
    expect(Object.keys(done)).toEqual(["id", "content", "role", "status", "type", "summary"]);
    expect(done.summary).toEqual([]);
    const completed = frames.at(-1)?.data.response as { output: { id: string }[] };
    expect(completed.output[0]?.id).toMatch(/^msg_[0-9a-f]{32}$/);
  });

  // vllm issues #29725 (Nov 2025) and #36435 (March 2026): before vllm PR #29947 the non-harmony
  // stream has no tool path ("todo(kebe7jun) tool call support"): the call streams as
  // output_text deltas of the generated text in a message item; response.completed comes from
  // the full generator, whose _make_response_output_items parses the function_call.
  it("streams a forced function call as output_text deltas", async () => {
    const events = await client.responses.create({
      model: "granite",
      input: "Weather?",
      tools: [weatherTool],
      tool_choice: { type: "function", name: "get_weather" },
      stream: true,
    });
    const types = new Set<string>();
    let text = "";
    let completed: OpenAI.Responses.Response | undefined;
    for await (const event of events) {
      types.add(event.type);
      if (event.type === "response.output_text.delta") text += event.delta;
      if (event.type === "response.output_item.done") expect(event.item.type).toBe("message");
      if (event.type === "response.completed") completed = event.response;
    }
    expect([...types]).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
      "response.output_text.delta",
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.completed",
    ]);
    expect(() => JSON.parse(text)).not.toThrow();
    expect(completed?.output.map((item) => item.type)).toEqual(["function_call"]);
  });

  it("carries delta logprobs when include asks for them", async () => {
    const raw = await fetch(`${server.url}/v1/responses`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        input: "Hi",
        max_output_tokens: 2,
        stream: true,
        include: ["message.output_text.logprobs"],
        top_logprobs: 1,
      }),
    });
    const delta = framesOf(await raw.text()).find((f) => f.event === "response.output_text.delta");
    const [logprob] = (delta?.data.logprobs ?? []) as { token: string; top_logprobs: unknown[] }[];
    // response_text_delta_event.Logprob: token, logprob, top_logprobs (no bytes).
    expect(Object.keys(logprob ?? {})).toEqual(["token", "logprob", "top_logprobs"]);
    expect(logprob?.top_logprobs).toHaveLength(1);
  });

  it("answers errors before the stream as JSON", async () => {
    const raw = await fetch(`${server.url}/v1/responses`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "nope", input: "Hi", stream: true }),
    });
    expect(raw.status).toBe(404);
    expect(raw.headers.get("content-type")).toBe("application/json");
  });
});

describe("the stream per release (--vllm-version)", () => {
  // 0.17: still the counting stream with the call as text (vllm PR #29947 merged 2026-03-12,
  // after 0.17.0), but SimpleContext accumulates (vllm PR #30237): response.completed holds the
  // whole text, parsed into the function_call.
  it("completes a streamed call with the whole arguments on 0.17", async () => {
    const server = await startVllm({ "served-model-name": "granite", "vllm-version": "0.17.0" });
    try {
      const body = {
        input: "Weather?",
        tools: [weatherTool],
        tool_choice: { type: "function", name: "get_weather" },
      };
      const frames = framesOf(await postText(server, body));
      const text = frames
        .filter((f) => f.event === "response.output_text.delta")
        .map((f) => f.data.delta)
        .join("");
      expect(frames.some((f) => f.event.startsWith("response.function_call_arguments"))).toBe(
        false,
      );
      const completed = frames.at(-1)?.data.response as OpenAI.Responses.Response;
      const [call] = completed.output;
      if (call?.type !== "function_call") throw new Error("no call");
      expect(call.name).toBe("get_weather");
      expect(call.arguments).toBe(text);
      expect(call.call_id).toMatch(/^call_[0-9a-f]{32}$/);
    } finally {
      await server.close();
    }
  });

  // Per release, one stream each (fetch, raw SSE): content_index of the deltas (counting before
  // vllm PR #29947, 0 after), and what response.completed holds (the last output's text before
  // vllm PR #30237, the whole text after).
  it.each([
    ["0.10.2", [1, 2, 3], "last"],
    ["0.11.0", [1, 2, 3], "last"],
    ["0.12.0", [1, 2, 3], "last"],
    ["0.14.0", [1, 2, 3], "whole"],
    ["0.17.0", [1, 2, 3], "whole"],
    ["0.18.0", [0, 0, 0], "whole"],
  ] as const)("streams as vLLM %s does", async (version, indexes, completedText) => {
    const server = await startVllm({ "served-model-name": "granite", "vllm-version": version });
    try {
      const body = { input: "Say hello", max_output_tokens: 3, ignore_eos: true };
      const frames = framesOf(await postText(server, body));
      const deltas = frames.filter((f) => f.event === "response.output_text.delta");
      expect(deltas.map((f) => f.data.content_index)).toEqual(indexes);
      const completed = frames.at(-1)?.data.response as OpenAI.Responses.Response;
      const [message] = completed.output;
      if (message?.type !== "message") throw new Error("no message");
      const whole = deltas.map((f) => f.data.delta).join("");
      expect(message.content[0]).toMatchObject({
        text: completedText === "whole" ? whole : deltas.at(-1)?.data.delta,
      });
    } finally {
      await server.close();
    }
  });

  describe("0.18: vllm PR #29947's stream", () => {
    let server: TestServer;
    let client: OpenAI;
    beforeAll(async () => {
      server = await startVllm({ "served-model-name": "granite", "vllm-version": "0.18.0" });
      client = openaiClient(server);
    });
    afterAll(() => server.close());

    // responses/simple_streaming_events.py: current_content_index stays 0, so the SDK's helper
    // follows the stream.
    it("streams text with content_index 0 that the SDK's helper follows", async () => {
      const stream = client.responses.stream({
        model: "granite",
        input: "Say hello",
        max_output_tokens: 4,
        ignore_eos: true,
      } as Parameters<OpenAI["responses"]["stream"]>[0]);
      const contentIndex = new Set<number>();
      let deltas = "";
      for await (const event of stream) {
        if ("content_index" in event) contentIndex.add(event.content_index);
        if (event.type === "response.output_text.delta") deltas += event.delta;
      }
      const final = await stream.finalResponse();
      expect([...contentIndex]).toEqual([0]);
      expect(final.output_text).toBe(deltas);
      expect(final.usage?.output_tokens).toBe(4);
    });

    // simple_streaming_events.py _parse_delta_message: DeltaMessage(content="") survives its
    // filters (`content and content == ""` never holds), so the EOS step is a delta here too.
    it("sends the empty EOS output as a delta", async () => {
      const schema = {
        type: "json_schema",
        name: "empty",
        schema: { type: "object", properties: {} },
      };
      const frames = framesOf(await postText(server, { input: "Hi", text: { format: schema } }));
      const deltas = frames.filter((f) => f.event === "response.output_text.delta");
      expect(deltas.at(-1)?.data.delta).toBe("");
      expect(deltas.map((f) => f.data.delta).join("")).toBe("{}");
      // From 0.14 response.completed holds the whole text (vllm PR #30237).
      const completed = frames.at(-1)?.data.response as OpenAI.Responses.Response;
      const [message] = completed.output;
      if (message?.type !== "message") throw new Error("no message");
      expect(message.content[0]).toMatchObject({ text: "{}" });
    });

    // vllm PR #29947 (its test plan: tool_choice left "auto", the call the tool parser finds):
    // output_item.added with the function_call, argument deltas, their done event and the done
    // item.
    it("streams an auto function call as argument deltas", async () => {
      const auto = await startVllm({
        "served-model-name": "granite",
        "vllm-version": "0.18.0",
        "enable-auto-tool-choice": true,
        "tool-call-parser": "hermes",
      });
      try {
        const stream = openaiClient(auto).responses.stream({
          model: "granite",
          input: "Weather?",
          tools: [weatherTool],
        });
        const types = new Set<string>();
        let args = "";
        for await (const event of stream) {
          types.add(event.type);
          if (event.type === "response.function_call_arguments.delta") args += event.delta;
        }
        const final = await stream.finalResponse();
        expect([...types]).toEqual(callEvents);
        const [call] = final.output;
        if (call?.type !== "function_call") throw new Error("no call");
        expect(call.arguments).toBe(args);
        expect(() => JSON.parse(args)).not.toThrow();
      } finally {
        await auto.close();
      }
    });

    // The v0.21.0 release notes list streaming with `required` (vllm PR #40700) and with a named
    // function (vllm PR #41110) as new: before, a forced call's guided JSON carries no call markup
    // for the tool parser, so it streams as output_text deltas in a message item (content_index
    // 0, PR #29947's events), while response.completed, from the full generator, holds the call.
    it("streams a forced function call as output_text deltas before 0.21.0", async () => {
      for (const version of ["0.18.0", "0.20.0"]) {
        const forced = await startVllm({ "served-model-name": "granite", "vllm-version": version });
        try {
          for (const tool_choice of ["required", { type: "function", name: "get_weather" }]) {
            const frames = framesOf(
              await postText(forced, { input: "Weather?", tools: [weatherTool], tool_choice }),
            );
            const events = frames.map((f) => f.event);
            expect(events).not.toContain("response.function_call_arguments.delta");
            const text = frames
              .filter((f) => f.event === "response.output_text.delta")
              .map((f) => f.data.delta)
              .join("");
            const added = frames.find((f) => f.event === "response.output_item.added");
            expect(added?.data.item).toMatchObject({ type: "message" });
            const completed = frames.at(-1)?.data.response as OpenAI.Responses.Response;
            const [call] = completed.output;
            if (call?.type !== "function_call") throw new Error("no call");
            expect([version, call.arguments]).toEqual([version, text]);
            expect(JSON.parse(text)).toBeTypeOf("object");
          }
        } finally {
          await forced.close();
        }
      }
    });
  });

  // vllm PRs #40700 (`required`) and #41110 (a named function), both in the v0.21.0 release
  // notes: the forced call streams as the function_call events of PR #29947.
  it("streams a required or named function call as argument deltas from 0.21.0", async () => {
    const server = await startVllm({ "served-model-name": "granite", "vllm-version": "0.21.0" });
    try {
      const client = openaiClient(server);
      for (const tool_choice of ["required", { type: "function", name: "get_weather" }] as const) {
        const stream = client.responses.stream({
          model: "granite",
          input: "Weather?",
          tools: [weatherTool],
          tool_choice,
        });
        const types = new Set<string>();
        let args = "";
        for await (const event of stream) {
          types.add(event.type);
          if (event.type === "response.function_call_arguments.delta") args += event.delta;
          if (event.type === "response.output_item.added") {
            expect(event.item).toMatchObject({ type: "function_call", name: "get_weather" });
          }
        }
        const final = await stream.finalResponse();
        expect([...types]).toEqual(callEvents);
        const [call] = final.output;
        if (call?.type !== "function_call") throw new Error("no call");
        expect(call.arguments).toBe(args);
        expect(JSON.parse(args)).toBeTypeOf("object");
      }
    } finally {
      await server.close();
    }
  });
});

/** The event types of a streamed function call (vllm PR #29947's simple_streaming_events.py). */
const callEvents = [
  "response.created",
  "response.in_progress",
  "response.output_item.added",
  "response.function_call_arguments.delta",
  "response.function_call_arguments.done",
  "response.output_item.done",
  "response.completed",
];

describe("one delta per engine output under --gpu (vllm/v1/engine/output_processor.py)", () => {
  // A decode step with k drafts, all accepted, gives the request k + 1 tokens in ONE output, and
  // serving_responses.py makes one output_text.delta of each output (as chat and completions
  // make one chunk: gpu-engine.test.ts); the prefill step samples one token.
  it("sends k + 1 tokens per delta under --speculative-config with every draft accepted", async () => {
    const clock = new ManualClock();
    const server = await startVllm(
      {
        "served-model-name": "m",
        gpu: "h100-80gb",
        "speculative-config": '{"method":"ngram","num_speculative_tokens":3,"prompt_lookup_max":4}',
        "speculative-acceptance-rate": "1",
      },
      [],
      { clock },
    );
    try {
      const body = {
        input: "Tell me about rivers",
        max_output_tokens: 9,
        ignore_eos: true,
        include: ["message.output_text.logprobs"],
      };
      const frames = framesOf(await drive(clock, postText(server, body)));
      const deltas = frames.filter((f) => f.event === "response.output_text.delta");
      expect(deltas.map((f) => (f.data.logprobs as unknown[]).length)).toEqual([1, 4, 4]);
      // The counting era (0.12, the default): one content_index per delta.
      expect(deltas.map((f) => f.data.content_index)).toEqual([1, 2, 3]);
      const completed = frames.at(-1)?.data.response as { usage: { output_tokens: number } };
      expect(completed.usage.output_tokens).toBe(9);
    } finally {
      await server.close();
    }
  });
});

// vllm/config/scheduler.py stream_interval and output_processor.py make_request_output (vllm PR
// #27869, from 0.12.0): an output with the first token, then one per N tokens, the last with the
// rest; the Responses stream makes one delta of each, as completions make one chunk.
describe("--stream-interval on the Responses stream", () => {
  it("sends the first token alone, then deltas of N tokens, the last with the rest", async () => {
    const clock = new ManualClock();
    const server = await startVllm(
      { "served-model-name": "m", gpu: "h100-80gb", "stream-interval": "4" },
      [],
      { clock },
    );
    try {
      const body = {
        input: "Tell me about rivers",
        max_output_tokens: 11,
        ignore_eos: true,
        include: ["message.output_text.logprobs"],
      };
      const frames = framesOf(await drive(clock, postText(server, body)));
      const deltas = frames.filter((f) => f.event === "response.output_text.delta");
      expect(deltas.map((f) => (f.data.logprobs as unknown[]).length)).toEqual([1, 4, 4, 2]);
    } finally {
      await server.close();
    }
  });
});

// vllm/v1/engine/output_processor.py RequestOutputCollector (vllm PR #12298; V1 the default engine
// from 0.8.0, PR #13726, so every release with /v1/responses): the outputs a slow consumer has not
// taken merge into one RequestOutput (vllm/outputs.py RequestOutput.add: text concatenated, token
// ids and logprobs appended), and serving_responses.py makes one output_text.delta of each
// RequestOutput it reads, as completions make one chunk (vllm-plugin.test.ts "a stream whose
// consumer comes late").
describe("a Responses stream whose consumer comes late", () => {
  /** The frames of one paced 10-token stream, under a coarse clock or an exact one. */
  async function streamed(coarse: boolean) {
    const clock = coarse ? new CoarseClock() : new ManualClock();
    const manual = clock instanceof CoarseClock ? clock.manual : clock;
    const server = await startVllm({ "served-model-name": "m", "inter-token-latency": "20" }, [], {
      clock,
    });
    try {
      const body = {
        input: "Tell me about rivers",
        max_output_tokens: 10,
        ignore_eos: true,
        temperature: 0,
        include: ["message.output_text.logprobs"],
      };
      return framesOf(await drive(manual, postText(server, body)));
    } finally {
      await server.close();
    }
  }
  it("sends the overdue tokens as one output_text delta, one delta per token when on time", async () => {
    const merged = await streamed(true);
    const separate = await streamed(false);
    const deltas = (frames: typeof merged) =>
      frames.filter((f) => f.event === "response.output_text.delta");
    const counts = (frames: typeof merged) =>
      deltas(frames).map((f) => (f.data.logprobs as unknown[]).length);
    expect(counts(separate)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    const mergedCounts = counts(merged);
    expect(mergedCounts.length).toBeGreaterThan(1);
    expect(mergedCounts.length).toBeLessThanOrEqual(5); // 10 tokens, a wake every 50 ms
    expect(mergedCounts[0]).toBe(1); // the first token, due at once, alone
    expect(mergedCounts.some((n) => n > 1)).toBe(true);
    expect(mergedCounts.reduce((a, b) => a + b, 0)).toBe(10);
    // The same text, deltas and done event alike; sequence_number has no gap.
    const text = (frames: typeof merged) =>
      deltas(frames)
        .map((f) => f.data.delta)
        .join("");
    expect(text(merged)).toBe(text(separate));
    const done = merged.find((f) => f.event === "response.output_text.done");
    expect(done?.data.text).toBe(text(separate));
    expect(merged.map((f) => f.data.sequence_number)).toEqual(merged.map((_, i) => i));
    const completed = merged.at(-1)?.data.response as { usage: { output_tokens: number } };
    expect(completed.usage.output_tokens).toBe(10);
  });
});

/** Advances the manual clock a millisecond at a time until `work` settles. */
async function drive<T>(clock: ManualClock, work: Promise<T>, limitMs = 20_000): Promise<T> {
  let settled = false;
  const done = () => {
    settled = true;
  };
  void work.then(done, done);
  for (let t = 0; t < limitMs && !settled; t++) {
    await new Promise((resolve) => setTimeout(resolve, 1));
    await clock.advance(1);
  }
  return work;
}

describe("background streams with VLLM_ENABLE_RESPONSES_API_STORE=1", () => {
  let server: TestServer;
  let client: OpenAI;
  beforeAll(async () => {
    process.env.VLLM_ENABLE_RESPONSES_API_STORE = "1";
    try {
      server = await startVllm({ "served-model-name": "granite" });
    } finally {
      delete process.env.VLLM_ENABLE_RESPONSES_API_STORE;
    }
    client = openaiClient(server);
  });
  afterAll(() => server.close());

  // serving_responses.py _run_background_request_stream and responses_background_stream_generator:
  // the POST follows the event store; GET ?stream=true&starting_after=N replays from N + 1.
  it("streams a background response and replays it after starting_after", async () => {
    const events = await client.responses.create({
      model: "granite",
      input: "Hi",
      max_output_tokens: 3,
      background: true,
      stream: true,
    });
    const first: number[] = [];
    let id = "";
    for await (const event of events) {
      first.push(event.sequence_number);
      if (event.type === "response.completed") id = event.response.id;
    }
    expect(first).toEqual(first.map((_, i) => i));
    const stored = await client.responses.retrieve(id);
    expect(stored.status).toBe("completed");
    const replay: number[] = [];
    const again = await client.responses.retrieve(id, { stream: true, starting_after: 3 });
    for await (const event of again) replay.push(event.sequence_number);
    expect(replay).toEqual(first.slice(4));
  });

  // One stream, two forms (responses-stream.ts responseStream): a foreground stream is piped
  // (the fastify host takes the push form), a background one iterated into its event log; both
  // send the same events in the same order (responses_stream_generator), the done text the
  // deltas joined. (The mock's built-in text differs request to request, so not the words.)
  it("sends the same events piped (foreground) and iterated (background)", async () => {
    const body = {
      model: "granite",
      input: "Tell a story",
      max_output_tokens: 12,
      ignore_eos: true,
    };
    const piped = framesOf(await postText(server, body));
    const iterated = framesOf(await postText(server, { ...body, background: true }));
    const shape = (frames: ReturnType<typeof framesOf>) =>
      frames.map((f) => [f.event, f.data.sequence_number, f.data.output_index ?? null]);
    expect(shape(iterated)).toEqual(shape(piped));
    for (const frames of [piped, iterated]) {
      const deltas = frames.filter((f) => f.event === "response.output_text.delta");
      expect(deltas).toHaveLength(12);
      const done = frames.find((f) => f.event === "response.output_text.done");
      expect(done?.data.text).toBe(deltas.map((f) => f.data.delta).join(""));
    }
  });

  // serving_responses.py cancel_responses: the background task is cancelled, its events stop.
  it("ends a background stream that is cancelled", async () => {
    process.env.VLLM_ENABLE_RESPONSES_API_STORE = "1";
    const slow = await startVllm({ "time-to-first-token": "5000" }).finally(() => {
      delete process.env.VLLM_ENABLE_RESPONSES_API_STORE;
    });
    try {
      const slowClient = new OpenAI({ baseURL: `${slow.url}/v1`, apiKey: "unused", maxRetries: 0 });
      const events = await slowClient.responses.create({
        model: "",
        input: "Hi",
        background: true,
        stream: true,
      });
      const types: string[] = [];
      for await (const event of events) {
        types.push(event.type);
        if (event.type === "response.in_progress") {
          expect((await slowClient.responses.cancel(event.response.id)).status).toBe("cancelled");
        }
      }
      expect(types).toEqual(["response.created", "response.in_progress"]);
    } finally {
      await slow.close();
    }
  });

  // serving_responses.py: a stored response with no event store raises after the 200 headers.
  it("drops the connection when a non-background response is streamed by GET", async () => {
    const response = await client.responses.create({
      model: "granite",
      input: "Hi",
      max_output_tokens: 1,
    });
    await expect(
      fetch(`${server.url}/v1/responses/${response.id}?stream=true`).then((r) => r.text()),
    ).rejects.toThrow();
  });

  // FastAPI's query validation, answered as vLLM's 400 list (vllm-openai.md §3).
  it("answers a query it cannot read with a 400", async () => {
    const raw = await fetch(`${server.url}/v1/responses/resp_x?starting_after=abc`);
    expect(raw.status).toBe(400);
    const body = (await raw.json()) as { error: { message: string } };
    expect(body.error.message).toBe(
      "[{'type': 'int_parsing', 'loc': ('query', 'starting_after'), 'msg': 'Input should be a valid integer, unable to parse string as an integer', 'input': 'abc'}]",
    );
  });
});

describe("streamed reasoning with --reasoning-parser deepseek_r1", () => {
  // serving_responses.py `_process_simple_streaming_events` as stored at vllm 00b6063 (the
  // `text` stream, 0.10.2-0.17 here): the first delta with reasoning opens a reasoning item (and
  // an output_text content part), reasoning_text.delta events follow with content_index counting
  // up; the first content sends reasoning_text.done and the item done, then a message
  // output_item.added under the reasoning item's id and output_index, and the content part at
  // output_index + 1 under a new id.
  it("streams the thinking as a reasoning item, then the message, in the text era's order", async () => {
    const server = await startVllm({
      "served-model-name": "r1",
      "reasoning-parser": "deepseek_r1",
      "vllm-version": "0.14.0",
    });
    try {
      const frames = framesOf(await postText(server, { model: "r1", input: "Why?", seed: 5 }));
      const names = frames.map((f) => f.event);
      const firstText = names.indexOf("response.output_text.delta");
      const reasoningDone = names.indexOf("response.reasoning_text.done");
      expect(names.slice(0, 4)).toEqual([
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
      ]);
      expect(new Set(names.slice(4, reasoningDone))).toEqual(
        new Set(["response.reasoning_text.delta"]),
      );
      expect(names.slice(reasoningDone, reasoningDone + 4)).toEqual([
        "response.reasoning_text.done",
        "response.output_item.done",
        "response.output_item.added",
        "response.content_part.added",
      ]);
      expect(firstText).toBe(reasoningDone + 4);
      expect(names.slice(-4)).toEqual([
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
      ]);
      const opened = frames[2]?.data.item as Record<string, unknown>;
      expect(opened).toEqual({
        id: opened.id,
        summary: [],
        type: "reasoning",
        content: null,
        encrypted_content: null,
        status: "in_progress",
      });
      expect(frames[3]?.data.part).toMatchObject({ type: "output_text" });
      const deltas = frames.filter((f) => f.event === "response.reasoning_text.delta");
      expect(deltas.map((f) => f.data.content_index)).toEqual(deltas.map((_, i) => i + 1));
      const thinking = deltas.map((f) => f.data.delta).join("");
      expect(frames[reasoningDone]?.data.text).toBe(thinking);
      const itemDone = frames[reasoningDone + 1]?.data;
      expect(itemDone?.item).toMatchObject({
        id: opened.id,
        status: "completed",
        content: [{ text: thinking, type: "reasoning_text" }],
      });
      const messageAdded = frames[reasoningDone + 2]?.data;
      expect(messageAdded).toMatchObject({ output_index: 0, item: { id: opened.id } });
      const part = frames[reasoningDone + 3]?.data;
      expect(part).toMatchObject({ output_index: 1, content_index: 0 });
      expect(part?.item_id).not.toBe(opened.id);
      const answer = frames
        .filter((f) => f.event === "response.output_text.delta")
        .map((f) => f.data.delta)
        .join("");
      expect(frames.at(-4)?.data.text).toBe(answer);
      for (const text of [thinking, answer]) expect(text).not.toMatch(/<\/?think>/);
      // 0.14 completes with the whole text (ResponsesEra.completedOutput), split the same way.
      const completed = frames.at(-1)?.data.response as OpenAI.Responses.Response;
      const [reasoning, message] = completed.output;
      expect(reasoning).toMatchObject({ type: "reasoning", content: [{ text: thinking }] });
      expect(message).toMatchObject({ type: "message", content: [{ text: answer }] });
    } finally {
      await server.close();
    }
  });

  // The output_text content part added to the reasoning item trips the SDK's helper (openai-node
  // 7.x ResponseStream checks each part against its item's type).
  it("is a reasoning stream the SDK's helper cannot follow before vllm PR #29947", async () => {
    const server = await startVllm({
      "served-model-name": "r1",
      "reasoning-parser": "deepseek_r1",
    });
    try {
      const stream = openaiClient(server).responses.stream({ model: "r1", input: "Why?" });
      await expect(stream.finalResponse()).rejects.toThrow(
        "expected output item type 'message', got 'reasoning'",
      );
    } finally {
      await server.close();
    }
  });

  // Before vllm PR #30237 (0.12-0.13 here) response.completed is the full generator's output of
  // the last engine output alone, and `extract_reasoning_content` finds no </think> in it: the
  // last delta's text comes back as a reasoning item, even when it was answer text.
  it("completes with the last delta as reasoning before vllm PR #30237", async () => {
    const body = { model: "r1", input: "Why?", seed: 7 };
    const whole = await startVllm({
      "served-model-name": "r1",
      "reasoning-parser": "deepseek_r1",
      "vllm-version": "0.14.0",
    });
    const old = await startVllm({ "served-model-name": "r1", "reasoning-parser": "deepseek_r1" });
    try {
      const full = framesOf(await postText(whole, body)).at(-1)?.data.response as {
        usage: { output_tokens: number };
      };
      // Cut two tokens before the end: the last output is answer text, not the EOS step.
      const cut = { ...body, max_output_tokens: full.usage.output_tokens - 2 };
      const frames = framesOf(await postText(old, cut));
      const lastText = frames.filter((f) => f.event === "response.output_text.delta").at(-1);
      expect(lastText?.data.delta).toMatch(/\S/);
      const completed = frames.at(-1)?.data.response as OpenAI.Responses.Response;
      expect(completed.output).toHaveLength(1);
      expect(completed.output[0]).toMatchObject({
        type: "reasoning",
        content: [{ type: "reasoning_text", text: lastText?.data.delta }],
      });
    } finally {
      await whole.close();
      await old.close();
    }
  });

  describe("0.18: responses/simple_streaming_events.py", () => {
    let server: TestServer;
    let client: OpenAI;
    beforeAll(async () => {
      server = await startVllm({
        "served-model-name": "r1",
        "reasoning-parser": "deepseek_r1",
        "vllm-version": "0.18.0",
      });
      client = openaiClient(server);
    });
    afterAll(() => server.close());

    // _events_add_content_reasoning_item, _events_reasoning_done (reasoning_text.done,
    // content_part.done with a reasoning_text part, output_item.done), then the message at
    // output_index + 1; content_index 0 throughout.
    it("streams a reasoning item and a message that the SDK's helper follows", async () => {
      const stream = client.responses.stream({
        model: "r1",
        input: "Why?",
        seed: 2,
      } as Parameters<OpenAI["responses"]["stream"]>[0]);
      const names: string[] = [];
      let thinking = "";
      let answer = "";
      for await (const event of stream) {
        names.push(event.type);
        if ("content_index" in event) expect(event.content_index).toBe(0);
        if (event.type === "response.reasoning_text.delta") {
          expect(event.output_index).toBe(0);
          thinking += event.delta;
        }
        if (event.type === "response.output_text.delta") {
          expect(event.output_index).toBe(1);
          answer += event.delta;
        }
      }
      const reasoningDone = names.indexOf("response.reasoning_text.done");
      expect(names.slice(reasoningDone, reasoningDone + 5)).toEqual([
        "response.reasoning_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.output_item.added",
        "response.content_part.added",
      ]);
      const final = await stream.finalResponse();
      expect(final.output.map((item) => item.type)).toEqual(["reasoning", "message"]);
      expect(final.output[0]).toMatchObject({ content: [{ text: thinking }] });
      expect(final.output_text).toBe(answer);
      expect(thinking.length).toBeGreaterThan(0);
      expect(`${thinking}${answer}`).not.toMatch(/<\/?think>/);
    });

    it("ends with the reasoning item alone when the limit ends the thinking", async () => {
      const frames = framesOf(
        await postText(server, { model: "r1", input: "Why?", max_output_tokens: 3 }),
      );
      expect(frames.slice(-4).map((f) => f.event)).toEqual([
        "response.reasoning_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
      ]);
      expect(frames[3]?.data.part).toEqual({ text: "", type: "reasoning_text" });
      const completed = frames.at(-1)?.data.response as OpenAI.Responses.Response;
      expect(completed.output.map((item) => item.type)).toEqual(["reasoning"]);
      expect(completed.status).toBe("incomplete");
    });
  });
});

// Tool calls after reasoning in a stream. Before vllm PR #29947 (`text`): the thinking streams as
// the reasoning item, the call as text in a message (vllm issues #29725, #36435), and
// response.completed (the full generator) holds the reasoning item and the parsed call. From it
// (`parsed`, simple_streaming_events.py `_parse_delta_message` with both parsers): the reasoning
// item closes when the thinking ends, then the function_call item at output_index 1.
describe("streamed tool calls after reasoning", () => {
  const body = {
    model: "r1",
    input: "Weather?",
    tools: [weatherTool],
    tool_choice: { type: "function", name: "get_weather" },
    seed: 4,
    stream: true,
  };
  const run = async (version: string) => {
    const server = await startVllm({
      "served-model-name": "r1",
      "reasoning-parser": "deepseek_r1",
      "vllm-version": version,
    });
    try {
      return framesOf(await postText(server, body));
    } finally {
      await server.close();
    }
  };

  it("streams the call as text after the reasoning before 0.18, completed holds the call", async () => {
    const frames = await run("0.14.0");
    const events = frames.map((f) => f.event);
    expect(events).toContain("response.reasoning_text.delta");
    expect(events).not.toContain("response.function_call_arguments.delta");
    const text = frames
      .filter((f) => f.event === "response.output_text.delta")
      .map((f) => f.data.delta)
      .join("");
    const completed = frames.at(-1)?.data.response as OpenAI.Responses.Response;
    expect(completed.output.map((item) => item.type)).toEqual(["reasoning", "function_call"]);
    const call = completed.output[1] as OpenAI.Responses.ResponseFunctionToolCall;
    expect(call.arguments).toBe(text);
    expect(JSON.parse(call.arguments)).toBeTypeOf("object");
  });

  // Before 0.21.0 a named call is not a call for the stream (vllm PR #41110, v0.21.0 release
  // notes): after the reasoning item its JSON goes out as a message's output_text.
  it("streams the reasoning item, then the named call's JSON as text on 0.18 and 0.20", async () => {
    for (const version of ["0.18.0", "0.20.0"]) {
      const frames = await run(version);
      const events = frames.map((f) => f.event);
      expect(events).toContain("response.reasoning_text.done");
      expect(events).not.toContain("response.function_call_arguments.delta");
      const text = frames
        .filter((f) => f.event === "response.output_text.delta")
        .map((f) => f.data.delta)
        .join("");
      const completed = frames.at(-1)?.data.response as OpenAI.Responses.Response;
      expect(completed.output.map((item) => item.type)).toEqual(["reasoning", "function_call"]);
      const call = completed.output[1] as OpenAI.Responses.ResponseFunctionToolCall;
      expect([version, call.arguments]).toEqual([version, text]);
    }
  });

  // vllm PR #41110 (v0.21.0): the named call streams as a call, after the reasoning item.
  it("streams the reasoning item, then the function_call at output_index 1 from 0.21", async () => {
    const frames = await run("0.21.0");
    const events = frames.map((f) => f.event);
    const reasoningDone = events.indexOf("response.reasoning_text.done");
    expect(events.slice(reasoningDone, reasoningDone + 5)).toEqual([
      "response.reasoning_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.output_item.added",
      "response.function_call_arguments.delta",
    ]);
    expect(events).not.toContain("response.output_text.delta");
    const added = frames[reasoningDone + 3]?.data as {
      output_index: number;
      item: { type: string };
    };
    expect(added.output_index).toBe(1);
    expect(added.item.type).toBe("function_call");
    const args = frames
      .filter((f) => f.event === "response.function_call_arguments.delta")
      .map((f) => f.data.delta)
      .join("");
    expect(args).not.toMatch(/<\/?think>/);
    const done = frames.find((f) => f.event === "response.function_call_arguments.done");
    expect(done?.data.arguments).toBe(args);
    expect(done?.data.output_index).toBe(1);
    const completed = frames.at(-1)?.data.response as OpenAI.Responses.Response;
    expect(completed.output.map((item) => item.type)).toEqual(["reasoning", "function_call"]);
    expect(JSON.parse(args)).toBeTypeOf("object");
    // simple_streaming_events.py: the streamed call's id is random_uuid() (bare hex), its call_id
    // call_<hex>; responses_stream_generator's response.completed comes from
    // responses_full_generator, whose _make_response_output_items makes every item afresh.
    const streamedCall = added.item as unknown as { id: string; call_id: string };
    expect(streamedCall.id).toMatch(/^[0-9a-f]{32}$/);
    expect(streamedCall.call_id).toMatch(/^call_[0-9a-f]{32}$/);
    const finalCall = completed.output[1] as OpenAI.Responses.ResponseFunctionToolCall;
    expect(finalCall.id).toMatch(/^fc_[0-9a-f]{32}$/);
    expect(finalCall.call_id).not.toBe(streamedCall.call_id);
    expect(finalCall.arguments).toBe(args);
    const reasoningAdded = frames.find(
      (f) => f.event === "response.output_item.added" && f.data.output_index === 0,
    )?.data.item as { id: string };
    expect(reasoningAdded.id).toMatch(/^[0-9a-f]{32}$/);
    expect(completed.output[0]?.id).toMatch(/^rs_[0-9a-f]{32}$/);
  });
});

/**
 * An engine whose runs fail after `events` events (an engine failure after the 200 headers),
 * throwing what `failure` makes, from `next` or from `nextReady` alike (the run keeps its ready
 * steps, as the engine's own runs offer them); `ended` counts the runs that were closed.
 */
function failingEngine(engine: TextEngine, events: number, failure: () => Error) {
  const runs = { ended: 0 };
  const failing: TextEngine = Object.create(engine);
  failing.generate = (request, options) => ({
    [Symbol.asyncIterator]() {
      const inner = engine.generate(request, options)[Symbol.asyncIterator]();
      const ready = readySteps(inner);
      let seen = 0;
      const count = (result: IteratorResult<GenerationEvent>) => {
        if (result.done) return result;
        if (seen === events) throw failure();
        seen += 1;
        return result;
      };
      const run: AsyncIterator<GenerationEvent> & ReadySteps = {
        next: () => inner.next().then(count),
        nextReady() {
          const result = ready?.nextReady();
          return result === undefined ? undefined : count(result);
        },
        async return() {
          runs.ended += 1;
          return (await inner.return?.()) ?? { done: true, value: undefined };
        },
      };
      return run;
    },
  });
  return { engine: failing, runs };
}

describe("a Responses stream that fails after the headers", () => {
  // serving_responses.py `responses_stream_generator` (vllm 00b6063, ≈0.11) catches nothing around
  // its events; later releases catch GenerationError and validate its `{"error": {...}}` JSON as
  // protocol.py `StreamingResponsesResponse` (a union of events with no error event), which
  // raises again. Either way the exception leaves the generator after the 200 headers and
  // Starlette drops the connection: the frames sent so far, then no error event, no
  // `response.failed`, no `response.completed` (api_router.py `_convert_stream_to_sse_events`).
  let started: StartedModel;
  let server: Server;
  let url = "";
  const store = new ResponseStore(true);
  let failure: () => Error = () => modelNotFound("granite");
  let runs = { ended: 0 };
  beforeAll(async () => {
    const settings = readVllmSettings(
      { models: [], values: { "served-model-name": "granite" } },
      {},
    );
    started = startModel(await loadServedModel(settings), settings, realClock);
    // The host's body writer (mock-core rest-route-table.ts writeStreamBody, which the fastify
    // host uses): the piped form where the body offers it, the iterated one for `x-form: pulled`.
    server = createServer(async (req, res) => {
      let text = "";
      for await (const chunk of req) text += chunk;
      const failing = failingEngine(started.model.engine, 3, () => failure());
      runs = failing.runs;
      const model = { ...started.model, engine: failing.engine };
      const prepared = prepareResponse(model, store, parseResponsesRequest(JSON.parse(text)));
      const run = new AbortController();
      res.on("close", () => run.abort());
      res.writeHead(200, { "content-type": "text/event-stream" });
      const body = responseStream(model, store, prepared, run.signal);
      await writeStreamBody(
        res,
        req.headers["x-form"] === "pulled"
          ? { [Symbol.asyncIterator]: () => body[Symbol.asyncIterator]() }
          : body,
      );
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    started.close();
  });

  /** The bytes that came before the connection dropped, and whether it dropped. */
  async function readUntilDrop(form: "piped" | "pulled", keep = false) {
    const raw = await fetch(`${url}/v1/responses`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-form": form },
      body: JSON.stringify({ model: "granite", input: "Say hello", stream: true, store: keep }),
    });
    expect(raw.status).toBe(200);
    const reader = (raw.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = "";
    for (;;) {
      try {
        const { done, value } = await reader.read();
        if (done) return { text, dropped: false };
        text += decoder.decode(value, { stream: true });
      } catch {
        return { text, dropped: true };
      }
    }
  }

  for (const [kind, make] of [
    ["a VllmError", () => modelNotFound("granite")],
    ["any other error", () => new Error("engine died")],
  ] as const) {
    it(`sends the events so far, then drops the connection, on ${kind} (both forms)`, async () => {
      failure = make;
      const seen: string[][] = [];
      for (const form of ["piped", "pulled"] as const) {
        const { text, dropped } = await readUntilDrop(form);
        expect(dropped).toBe(true);
        const events = framesOf(text);
        const types = events.map((e) => e.event);
        // response.created, response.in_progress, the message opened (item and content part) at
        // the first delta, then one delta per engine output sent before the failure; nothing after.
        expect(types.slice(0, 4)).toEqual([
          "response.created",
          "response.in_progress",
          "response.output_item.added",
          "response.content_part.added",
        ]);
        expect(types.length).toBeGreaterThan(4);
        expect(new Set(types.slice(4))).toEqual(new Set(["response.output_text.delta"]));
        expect(events.map((e) => e.data.sequence_number)).toEqual(types.map((_, i) => i));
        expect(text).not.toContain("[DONE]");
        expect(text).not.toContain('"error"');
        // The engine run was closed (the generator's engine request ends with it).
        await expect.poll(() => runs.ended).toBe(1);
        seen.push(types);
      }
      expect(seen[0]).toEqual(seen[1]);
    });
  }

  // The run never reached responses_full_generator, where a stored response is written.
  it("stores nothing for a stream that failed", async () => {
    failure = () => modelNotFound("granite");
    const { text } = await readUntilDrop("piped", true);
    const created = framesOf(text)[0]?.data.response as { id: string };
    expect(created.id).toMatch(/^resp_/);
    expect(store.get(created.id)).toBeUndefined();
  });

  // The openai SDK (openai-node Stream: the body's reader rejects once the connection drops):
  // the loop sees the events sent, then the fetch error, never an APIError (no error event).
  it("surfaces the drop to the openai SDK as a connection error after the events", async () => {
    failure = () => modelNotFound("granite");
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: "unused", maxRetries: 0 });
    const types: string[] = [];
    let caught: unknown;
    try {
      const events = await client.responses.create({
        model: "granite",
        input: "Say hello",
        stream: true,
      });
      for await (const event of events) types.push(event.type);
    } catch (error) {
      caught = error;
    }
    expect(types.slice(0, 2)).toEqual(["response.created", "response.in_progress"]);
    expect(types).not.toContain("response.completed");
    expect(caught).toBeInstanceOf(Error);
    expect(caught).not.toBeInstanceOf(OpenAI.APIError);
  });
});
