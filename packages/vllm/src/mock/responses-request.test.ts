/**
 * ResponsesRequest's before-validators by release, over a bare HTTP harness that hands the body
 * to {@link parseResponsesRequest} with the release's Responses era (as vllm-plugin.ts does), then
 * prepares and answers it; the official `openai` SDK and fetch call it. Sources: vllm-project/vllm
 * vllm/entrypoints/openai/responses/protocol.py (ResponsesRequest `check_tool_usage`,
 * `validate_prompt`, `validate_background`), vllm PRs #40399 and #35531.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { realClock } from "@servingkit/mock-core";
import OpenAI, { type APIError } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorReply, VllmError } from "./errors.js";
import type { ResponsesEra } from "./profiles.js";
import { createResponse, prepareResponse, ResponseStore } from "./responses.js";
import { parseResponsesRequest } from "./responses-request.js";
import { loadServedModel, type StartedModel, startModel } from "./served-model.js";
import { readVllmSettings } from "./settings.js";
import { openaiClient, startVllm } from "./test-server.js";

/** One release's model behind `POST /v1/responses` (store on, so background can run). */
interface Harness {
  readonly url: string;
  readonly client: OpenAI;
  close(): Promise<void>;
}

async function serve(version: string): Promise<Harness> {
  const values = { "served-model-name": "m", "vllm-version": version };
  const settings = readVllmSettings(
    { models: [], values },
    { VLLM_ENABLE_RESPONSES_API_STORE: "1" },
  );
  const started: StartedModel = startModel(await loadServedModel(settings), settings, realClock);
  const { model } = started;
  const store = new ResponseStore(true);
  const server: Server = createServer(async (req, res) => {
    let text = "";
    for await (const chunk of req) text += chunk;
    try {
      const era = model.profile.responses as ResponsesEra;
      const prepared = prepareResponse(model, store, parseResponsesRequest(JSON.parse(text), era));
      const body = await createResponse(model, store, prepared, new AbortController().signal);
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
    } catch (error) {
      if (!(error instanceof VllmError)) throw error;
      const reply = errorReply(model.profile, error);
      res.writeHead(reply.status, reply.headers).end(reply.body);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: "unused", maxRetries: 0 });
  return {
    url,
    client,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      store.close();
      started.close();
    },
  };
}

async function errorOf(promise: Promise<unknown>): Promise<APIError> {
  try {
    await promise;
  } catch (error) {
    return error as APIError;
  }
  throw new Error("expected the call to fail");
}

type CreateBody = Parameters<OpenAI["responses"]["create"]>[0];

const weatherTool = {
  type: "function",
  name: "get_weather",
  parameters: { type: "object", properties: { city: { type: "string" } } },
  strict: false,
} as const;

const releases = ["0.16.0", "0.17.0", "0.19.0", "0.20.0", "0.21.0"] as const;

describe("ResponsesRequest's before-validators by release", () => {
  const harness: Partial<Record<(typeof releases)[number], Harness>> = {};
  const at = (version: (typeof releases)[number]) => harness[version] as Harness;
  beforeAll(async () => {
    for (const version of releases) harness[version] = await serve(version);
  });
  afterAll(async () => {
    for (const version of releases) await harness[version]?.close();
  });

  // vllm PR #40399 (from 0.20.0, profiles.ts ResponsesEra.toolChoiceChecked): check_tool_usage
  // raises VLLMValidationError(..., parameter="tool_choice") for `required` with no tools (absent
  // or an empty list); before it, no check: the request is answered (the PR's "Before" column).
  it("refuses tool_choice required without tools from 0.20.0, answers it before", async () => {
    for (const version of ["0.20.0", "0.21.0"] as const) {
      for (const tools of [undefined, []]) {
        const error = await errorOf(
          at(version).client.responses.create({
            model: "m",
            input: "Hi",
            tool_choice: "required",
            ...(tools && { tools }),
          } as CreateBody),
        );
        expect(error).toBeInstanceOf(OpenAI.BadRequestError);
        expect(error.param).toBe("tool_choice");
        expect(error.message).toContain(
          "'msg': \"Value error, Tool choice 'required' must be specified with 'tools' parameter. (parameter=tool_choice)\"",
        );
      }
    }
    const old = await at("0.19.0").client.responses.create({
      model: "m",
      input: "Hi",
      tool_choice: "required",
      max_output_tokens: 3,
    });
    expect(old.status).toBeDefined();
    expect(old.tool_choice).toBe("required");
  });

  // protocol.py check_tool_usage: a named function (`{type: "function", name}`) with no tools,
  // or naming no tool of `tools`, or with no name, is "Tool choice 'function' not found".
  it("refuses a named function no tool answers to from 0.20.0", async () => {
    const cases: object[] = [
      { tool_choice: { type: "function", name: "get_weather" } },
      { tool_choice: { type: "function", name: "get_time" }, tools: [weatherTool] },
      { tool_choice: { type: "function" }, tools: [weatherTool] },
    ];
    for (const extra of cases) {
      const raw = await fetch(`${at("0.20.0").url}/v1/responses`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "m", input: "Hi", ...extra }),
      });
      expect(raw.status).toBe(400);
      const { error } = (await raw.json()) as { error: { message: string; param: unknown } };
      expect(error.param).toBe("tool_choice");
      expect(error.message).toContain(
        "Value error, Tool choice 'function' not found in 'tools' parameter.",
      );
    }
    const named = await at("0.20.0").client.responses.create({
      model: "m",
      input: "Hi",
      tools: [weatherTool],
      tool_choice: { type: "function", name: "get_weather" },
    });
    expect(named.output.some((item) => item.type === "function_call")).toBe(true);
  });

  // protocol.py check_tool_usage: with no tools, `auto` (also the default) and `none` become
  // `data["tool_choice"] = "none"`, which ResponsesResponse.from_request echoes.
  it("echoes tool_choice none for auto without tools from 0.20.0, as sent before", async () => {
    for (const choice of [undefined, "auto", "none"] as const) {
      const body = {
        model: "m",
        input: "Hi",
        max_output_tokens: 2,
        ...(choice && { tool_choice: choice }),
      };
      const now = await at("0.20.0").client.responses.create(body);
      expect(now.tool_choice).toBe("none");
      const before = await at("0.19.0").client.responses.create(body);
      expect(before.tool_choice).toBe(choice ?? "auto");
    }
    const withTools = await at("0.20.0").client.responses.create({
      model: "m",
      input: "Hi",
      max_output_tokens: 2,
      tools: [weatherTool],
    });
    expect(withTools.tool_choice).toBe("auto");
  });

  // pydantic runs mode="before" validators last-defined first: check_tool_usage (defined last)
  // refuses ahead of validate_prompt; when it passes after setting tool_choice to "none", the
  // prompt refusal prints the dict it changed.
  it("checks tool usage ahead of the prompt check, which sees the changed dict", async () => {
    const first = await errorOf(
      at("0.20.0").client.responses.create({
        model: "m",
        input: "Hi",
        tool_choice: "required",
        prompt: { id: "pmpt_abc" },
      }),
    );
    expect(first.param).toBe("tool_choice");
    expect(first.message).not.toContain("prompt template");
    const then = await errorOf(
      at("0.20.0").client.responses.create({ model: "m", input: "Hi", prompt: { id: "pmpt_abc" } }),
    );
    expect(then.param).toBe("prompt");
    expect(then.message).toContain(
      "'input': {'model': 'm', 'input': 'Hi', 'prompt': {'id': 'pmpt_abc'}, 'tool_choice': 'none'}",
    );
    const before = await errorOf(
      at("0.19.0").client.responses.create({ model: "m", input: "Hi", prompt: { id: "pmpt_abc" } }),
    );
    expect(before.message).toContain(
      "'input': {'model': 'm', 'input': 'Hi', 'prompt': {'id': 'pmpt_abc'}}",
    );
  });

  // vllm PR #41355 (v0.21.0 notes, "resubmitting output items with missing fields"):
  // input_item_parsing gives an assistant message without id/status a msg_ id and "completed",
  // output_text parts without annotations [], a reasoning item without id an rs_ id, so a client
  // that drops those fields (as Codex does, openai/codex issue #12669) gets its turn answered.
  it("answers a resubmitted assistant message and reasoning item without id or status on 0.21.0", async () => {
    const raw = await fetch(`${at("0.21.0").url}/v1/responses`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model: "m",
        max_output_tokens: 3,
        input: [
          { type: "message", role: "user", content: [{ type: "input_text", text: "Hi" }] },
          { type: "reasoning", summary: [] },
          {
            type: "message",
            role: "assistant",
            content: [{ type: "output_text", text: "Hello" }],
          },
          { type: "message", role: "user", content: [{ type: "input_text", text: "Again" }] },
        ],
      }),
    });
    expect(raw.status).toBe(200);
    const body = (await raw.json()) as { status: string; usage: { input_tokens: number } };
    expect(["completed", "incomplete"]).toContain(body.status);
    expect(body.usage.input_tokens).toBeGreaterThan(0);
  });

  // vllm PR #35531 (from 0.17.0, ResponsesEra.backgroundParam): validate_background raises
  // VLLMValidationError(..., parameter="background"); up to 0.16.x a plain ValueError (param null).
  it("names background in its refusal from 0.17.0, a plain ValueError before", async () => {
    const body = { model: "m", input: "Hi", background: true, store: false };
    for (const version of ["0.17.0", "0.21.0"] as const) {
      const error = await errorOf(at(version).client.responses.create(body));
      expect(error).toBeInstanceOf(OpenAI.BadRequestError);
      expect(error.param).toBe("background");
      expect(error.message).toContain(
        "Value error, background can only be used when `store` is true (parameter=background)",
      );
      expect(error.message).toContain("VLLMValidationError(");
    }
    const old = await errorOf(at("0.16.0").client.responses.create(body));
    expect(old.param).toBeNull();
    expect(old.message).toContain("ValueError('background can only be used when `store` is true')");
  });
});

// The route (vllm-plugin.ts) hands parseResponsesRequest the release's whole Responses era.
describe("check_tool_usage through the mock's route", () => {
  it("refuses tool_choice required without tools on 0.20.0, answers it on 0.19.0", async () => {
    const now = await startVllm({ "served-model-name": "m", "vllm-version": "0.20.0" });
    const before = await startVllm({ "served-model-name": "m", "vllm-version": "0.19.0" });
    try {
      const body = {
        model: "m",
        input: "Hi",
        tool_choice: "required",
        max_output_tokens: 2,
      } as const;
      const error = await errorOf(openaiClient(now).responses.create(body));
      expect(error).toBeInstanceOf(OpenAI.BadRequestError);
      expect(error.param).toBe("tool_choice");
      const old = await openaiClient(before).responses.create(body);
      expect(old.tool_choice).toBe("required");
    } finally {
      await now.close();
      await before.close();
    }
  });
});

/** The 400's error of `POST /v1/responses` with `body` beside a short input. */
async function refusal(url: string, body: object) {
  const answer = await fetch(`${url}/v1/responses`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "m", input: "Hi", max_output_tokens: 2, ...body }),
  });
  expect(answer.status).toBe(400);
  // Releases before the nested envelope answer the error's fields at the top (errors.ts).
  type Refusal = { message: string; param: string | null };
  const reply = (await answer.json()) as Refusal & { error?: Refusal };
  return reply.error ?? reply;
}

// vllm PR #20504's protocol.py (v0.10.0, the first Responses release) and responses/protocol.py
// of 2026 alike: ResponsesRequest has `cache_salt: str | None` and the before-validator
// check_cache_salt_support, `data.get("cache_salt") is not None and (not isinstance(..., str) or
// not data["cache_salt"])` -> ValueError("Parameter 'cache_salt' must be a non-empty string if
// provided."), a plain ValueError (no parameter) in both. It is defined after validate_prompt and
// validate_background, so pydantic runs it before them; check_tool_usage (vllm PR #40399),
// defined after it, runs first.
describe("Responses cache_salt (check_cache_salt_support)", () => {
  it("refuses an empty or non-string cache_salt on every Responses release, takes any other string", async () => {
    for (const version of ["0.10.0", "0.14.0", "0.21.0"]) {
      const server = await startVllm({ "served-model-name": "m", "vllm-version": version });
      try {
        for (const salt of ["", 42, ["salt"], false]) {
          const error = await refusal(server.url, { cache_salt: salt });
          expect([version, error.param]).toEqual([version, null]);
          expect(error.message).toContain(
            "'msg': \"Value error, Parameter 'cache_salt' must be a non-empty string if provided.\"",
          );
          expect(error.message).toContain(
            "ValueError(\"Parameter 'cache_salt' must be a non-empty string if provided.\")",
          );
        }
        // null is the default; any non-empty string passes, blanks too (no strip in the check).
        for (const salt of [null, "  ", "eW91ciBzYWx0IGhlcmU"]) {
          const response = await openaiClient(server).responses.create({
            model: "m",
            input: "Hi",
            max_output_tokens: 2,
            // @ts-expect-error vLLM's extra field, beside openai's
            cache_salt: salt,
          });
          expect([version, response.object]).toEqual([version, "response"]);
        }
      } finally {
        await server.close();
      }
    }
  });

  it("runs after check_tool_usage and before validate_prompt and validate_background", async () => {
    const server = await startVllm({ "served-model-name": "m", "vllm-version": "0.21.0" });
    try {
      const salted = await refusal(server.url, {
        cache_salt: "",
        prompt: { id: "pmpt_1" },
        background: true,
        store: false,
      });
      expect(salted.message).toContain("Parameter 'cache_salt' must be a non-empty string");
      expect(salted.message).not.toContain("prompt template");
      const tools = await refusal(server.url, { cache_salt: "", tool_choice: "required" });
      expect(tools.param).toBe("tool_choice");
      expect(tools.message).not.toContain("cache_salt' must");
    } finally {
      await server.close();
    }
  });
});

// pydantic validates every field of ResponsesRequest before it answers and lists all issues in
// the model's field order (responses/protocol.py: ... max_output_tokens, ..., reasoning,
// service_tier, ..., repetition_penalty, seed ...), whatever order the body has; the penalties
// of vllm PR #38613 (0.20.0) are fields like the others, so their issues join the list.
describe("Responses field issues in one list", () => {
  it("lists type, literal, model and penalty issues together in field order", async () => {
    const body = {
      presence_penalty: 3,
      seed: "x",
      service_tier: "cheap",
      reasoning: 5,
      max_output_tokens: "many",
    };
    const now = await startVllm({ "served-model-name": "m", "vllm-version": "0.20.0" });
    const before = await startVllm({ "served-model-name": "m", "vllm-version": "0.18.0" });
    try {
      const { message } = await refusal(now.url, body);
      const order = [
        "('body', 'max_output_tokens')",
        "('body', 'reasoning')",
        "('body', 'service_tier')",
        "('body', 'presence_penalty')",
        "('body', 'seed')",
      ].map((loc) => message.indexOf(loc));
      expect(order.every((at) => at >= 0)).toBe(true);
      expect(order).toEqual([...order].sort((a, b) => a - b));
      expect(message).toContain(
        "{'type': 'less_than_equal', 'loc': ('body', 'presence_penalty'), 'msg': 'Input should be less than or equal to 2.0', 'input': 3, 'ctx': {'le': 2.0}}",
      );
      // 0.18.0 reads no presence_penalty (an unknown field): the other four, still together.
      const old = (await refusal(before.url, body)).message;
      expect(old).not.toContain("presence_penalty");
      expect(old.match(/'loc': \('body'/g)).toHaveLength(4);
    } finally {
      await now.close();
      await before.close();
    }
  });

  it("keeps repetition_penalty's float_type beside an include literal from 0.16.0", async () => {
    const server = await startVllm({ "served-model-name": "m", "vllm-version": "0.16.0" });
    try {
      const { message } = await refusal(server.url, {
        repetition_penalty: "strong",
        include: ["nope"],
      });
      expect(message.indexOf("('body', 'include', 0)")).toBeGreaterThan(0);
      expect(message.indexOf("('body', 'repetition_penalty')")).toBeGreaterThan(
        message.indexOf("('body', 'include', 0)"),
      );
    } finally {
      await server.close();
    }
  });
});
