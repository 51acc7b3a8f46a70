import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { realClock } from "@servingkit/mock-core";
import { describe, expect, it } from "vitest";
import { chatCompletion, chatCompletionStream } from "./chat-completions.js";
import { completion, completionStream } from "./completions.js";
import { parseChatRequest, parseCompletionRequest } from "./requests.js";
import { loadServedModel, startModel } from "./served-model.js";
import { readVllmSettings } from "./settings.js";
import { readFingerprintOptions, systemFingerprint } from "./system-fingerprint.js";
import { openaiClient, startVllm } from "./test-server.js";
import { wireJson } from "./wire-json.js";

const base = {
  version: "0.21.0",
  model: "granite",
  maxModelLen: 4096,
  tensorParallelSize: 1,
  expertParallel: false,
  device: undefined,
  dtype: undefined,
};

// vllm/entrypoints/openai/fingerprint.py (vllm PR #40537), mode `full`:
// vllm-<version>[-tp<n>][-pp<n>][-dp<n>][-ep]-<hash8>, parallelism only when non-trivial.
describe("systemFingerprint", () => {
  it("is vllm-<version>-<8 hex digits> with one GPU", () => {
    expect(systemFingerprint(base)).toMatch(/^vllm-0\.21\.0-[0-9a-f]{8}$/);
  });

  it("names tp<n> above one GPU and ep with expert parallelism", () => {
    expect(systemFingerprint({ ...base, tensorParallelSize: 2 })).toMatch(
      /^vllm-0\.21\.0-tp2-[0-9a-f]{8}$/,
    );
    expect(systemFingerprint({ ...base, tensorParallelSize: 4, expertParallel: true })).toMatch(
      /^vllm-0\.21\.0-tp4-ep-[0-9a-f]{8}$/,
    );
  });

  it("is stable for one configuration and hashes the device and dtype", () => {
    expect(systemFingerprint(base)).toBe(systemFingerprint({ ...base }));
    const h100 = systemFingerprint({ ...base, device: "NVIDIA H100 80GB HBM3", dtype: "bfloat16" });
    const l4 = systemFingerprint({ ...base, device: "NVIDIA L4", dtype: "bfloat16" });
    // The merged fingerprint.py prints no device or dtype: they change only the hash.
    expect(h100).toMatch(/^vllm-0\.21\.0-[0-9a-f]{8}$/);
    expect(h100).not.toBe(l4);
    expect(systemFingerprint({ ...base, model: "other" })).not.toBe(systemFingerprint(base));
  });
});

describe("system_fingerprint on the wire", () => {
  // vllm PR #40537: 0.21.0 stamps the fingerprint on the non-streaming chat answer
  // (chat_completion/serving.py chat_completion_full_generator: system_fingerprint=...).
  it("is a string on 0.21.0 through the openai SDK and the same on every answer", async () => {
    const server = await startVllm({ "vllm-version": "0.21.0", "served-model-name": "granite" });
    try {
      const client = openaiClient(server);
      const ask = () =>
        client.chat.completions.create({
          model: "granite",
          messages: [{ role: "user", content: "Hi" }],
          max_tokens: 2,
        });
      const first = await ask();
      const second = await ask();
      expect(first.system_fingerprint).toMatch(/^vllm-0\.21\.0-[0-9a-f]{8}$/);
      expect(second.system_fingerprint).toBe(first.system_fingerprint);
    } finally {
      await server.close();
    }
  });

  // Before vllm PR #40537 ChatCompletionResponse.system_fingerprint stays at its None default.
  it("is null on 0.20.0 (raw fetch)", async () => {
    const server = await startVllm({ "vllm-version": "0.20.0", "served-model-name": "granite" });
    try {
      const answer = await fetch(`${server.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          model: "granite",
          messages: [{ role: "user", content: "Hi" }],
          max_tokens: 2,
        }),
      });
      expect(answer.status).toBe(200);
      const body = (await answer.json()) as Record<string, unknown>;
      expect(body).toHaveProperty("system_fingerprint", null);
    } finally {
      await server.close();
    }
  });

  // fingerprint.py: `tp<n>` from parallel_config.tensor_parallel_size when above 1 (raw fetch).
  it("names the --gpu run's tensor-parallel size on 0.21.0", async () => {
    const server = await startVllm({
      "vllm-version": "0.21.0",
      "served-model-name": "granite",
      gpu: "h100-80gb",
      "tensor-parallel-size": "2",
    });
    try {
      const answer = await fetch(`${server.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          model: "granite",
          messages: [{ role: "user", content: "Hi" }],
          max_tokens: 1,
        }),
      });
      const body = (await answer.json()) as { system_fingerprint: unknown };
      expect(body.system_fingerprint).toMatch(/^vllm-0\.21\.0-tp2-[0-9a-f]{8}$/);
    } finally {
      await server.close();
    }
  });
});

// vllm/entrypoints/openai/fingerprint.py and cli_args.py BaseFrontendArgs (vllm PR #40537):
// --fingerprint-mode full | hash | custom | none, --fingerprint-value for custom.
describe("fingerprint modes", () => {
  it("hash strips the parallelism, custom prints the value, none and a bare custom are null", () => {
    const tp2 = { ...base, tensorParallelSize: 2, expertParallel: true };
    const hash = systemFingerprint(tp2, { mode: "hash", value: undefined });
    expect(hash).toMatch(/^vllm-0\.21\.0-[0-9a-f]{8}$/);
    // The same config hash as full mode, only the tp/ep parts gone.
    expect(systemFingerprint(tp2)).toBe(`vllm-0.21.0-tp2-ep-${hash?.slice(-8)}`);
    expect(systemFingerprint(tp2, { mode: "custom", value: "deploy-42" })).toBe("deploy-42");
    expect(systemFingerprint(tp2, { mode: "custom", value: undefined })).toBeNull();
    expect(systemFingerprint(tp2, { mode: "none", value: "ignored" })).toBeNull();
  });

  it("reads the flags, full by default, the last of repeated ones", () => {
    expect(readFingerprintOptions({}, true)).toEqual({ mode: "full", value: undefined });
    expect(
      readFingerprintOptions({ "fingerprint-mode": "custom", "fingerprint-value": "fp-1" }, true),
    ).toEqual({ mode: "custom", value: "fp-1" });
    expect(readFingerprintOptions({ "fingerprint-mode": ["none", "hash"] }, true).mode).toBe(
      "hash",
    );
    // A value without custom is accepted and unused (build_system_fingerprint reads it in custom only).
    expect(readFingerprintOptions({ "fingerprint-value": "x" }, true)).toEqual({
      mode: "full",
      value: "x",
    });
  });

  // argparse: a Literal field becomes choices; a release without the flags does not know them.
  it("refuses an unknown mode and either flag before 0.21.0 with argparse's texts", () => {
    expect(() => readFingerprintOptions({ "fingerprint-mode": "short" }, true)).toThrow(
      "argument --fingerprint-mode: invalid choice: 'short' (choose from 'full', 'hash', 'custom', 'none')",
    );
    expect(() => readFingerprintOptions({ "fingerprint-mode": "none" }, false)).toThrow(
      "unrecognized arguments: --fingerprint-mode none",
    );
    expect(() => readFingerprintOptions({ "fingerprint-value": "v" }, false)).toThrow(
      "unrecognized arguments: --fingerprint-value v",
    );
    expect(readFingerprintOptions({}, false)).toEqual({ mode: "full", value: undefined });
  });
});

/**
 * A bare HTTP server answering chat and completions through the mock's handlers with a given
 * fingerprint, as the plugin passes it (the real clients below talk to it over HTTP).
 */
async function fingerprintServer(version: string, fingerprint: string | null) {
  const settings = readVllmSettings(
    { models: [], values: { "vllm-version": version, "served-model-name": "granite" } },
    {},
  );
  const started = startModel(await loadServedModel(settings), settings, realClock);
  const model = started.model;
  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    let text = "";
    for await (const piece of request) text += piece;
    const body = JSON.parse(text) as { stream?: boolean };
    const signal = new AbortController().signal;
    const chat = request.url === "/v1/chat/completions";
    if (body.stream) {
      response.writeHead(200, { "content-type": "text/event-stream" });
      const frames = chat
        ? chatCompletionStream(model, parseChatRequest(body), signal, fingerprint)
        : completionStream(model, parseCompletionRequest(body), signal, fingerprint);
      for await (const frame of frames) response.write(frame);
      response.end();
      return;
    }
    const whole = chat
      ? await chatCompletion(model, parseChatRequest(body), signal, fingerprint)
      : await completion(model, parseCompletionRequest(body), { signal }, fingerprint);
    response.writeHead(200, { "content-type": "application/json" });
    response.end(wireJson(whole));
  };
  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      response.writeHead(500);
      response.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = async () => {
    started.close();
    await new Promise((resolve) => server.close(resolve));
  };
  return { url, close };
}

/** The JSON events of an SSE body, `[DONE]` left out. */
async function events(url: string, body: object): Promise<Record<string, unknown>[]> {
  const answer = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "granite", stream: true, ...body }),
  });
  const text = await answer.text();
  expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
  return text
    .split("\n\n")
    .filter((frame) => frame.startsWith("data: {"))
    .map((frame) => JSON.parse(frame.slice(6)) as Record<string, unknown>);
}

const fp = "vllm-0.21.0-1a2b3c4d";

describe("system_fingerprint on streams and completions (0.21.0)", () => {
  // chat_completion/serving.py chat_completion_stream_generator (vllm PR #40537: "Set only on the
  // final chunk of a stream"): without include_usage each finish chunk carries it; chunks are
  // dumped with exclude_unset, so the others have no key (protocol.py: after usage).
  it("rides on each choice's finish chunk of a chat stream (openai SDK and raw fetch)", async () => {
    const server = await fingerprintServer("0.21.0", fp);
    try {
      const stream = await openaiClient(server).chat.completions.create({
        model: "granite",
        messages: [{ role: "user", content: "Hi" }],
        max_tokens: 3,
        n: 2,
        stream: true,
      });
      const stamped: (string | null | undefined)[] = [];
      for await (const chunk of stream) {
        const finished = chunk.choices[0]?.finish_reason != null;
        expect(chunk.system_fingerprint, `finished ${finished}`).toBe(finished ? fp : undefined);
        if (finished) stamped.push(chunk.system_fingerprint);
      }
      expect(stamped).toEqual([fp, fp]);
      const raw = await events(`${server.url}/v1/chat/completions`, {
        messages: [{ role: "user", content: "Hi" }],
        max_tokens: 3,
      });
      const last = raw.at(-1) ?? {};
      expect(Object.keys(last)).toEqual([
        "id",
        "object",
        "created",
        "model",
        "choices",
        "system_fingerprint",
      ]);
      for (const chunk of raw.slice(0, -1)) expect(chunk).not.toHaveProperty("system_fingerprint");
    } finally {
      await server.close();
    }
  });

  // serving.py: with include_usage the usage chunk is the final message and carries it (dumped
  // with exclude_none); the finish chunk then has none.
  it("moves to the usage chunk when include_usage asks for one", async () => {
    const server = await fingerprintServer("0.21.0", fp);
    try {
      const raw = await events(`${server.url}/v1/chat/completions`, {
        messages: [{ role: "user", content: "Hi" }],
        max_tokens: 3,
        stream_options: { include_usage: true },
      });
      const usage = raw.at(-1) ?? {};
      expect(usage.choices).toEqual([]);
      expect(Object.keys(usage).slice(-2)).toEqual(["usage", "system_fingerprint"]);
      expect(usage.system_fingerprint).toBe(fp);
      for (const chunk of raw.slice(0, -1)) expect(chunk).not.toHaveProperty("system_fingerprint");
    } finally {
      await server.close();
    }
  });

  // fingerprint.py mode none: None; the finish chunk is not stamped (`is not None`) and the usage
  // chunk drops the key (exclude_none).
  it("leaves every chunk without the key in mode none", async () => {
    const server = await fingerprintServer("0.21.0", null);
    try {
      for (const options of [{}, { stream_options: { include_usage: true } }]) {
        const raw = await events(`${server.url}/v1/chat/completions`, {
          messages: [{ role: "user", content: "Hi" }],
          max_tokens: 2,
          ...options,
        });
        for (const chunk of raw) expect(chunk).not.toHaveProperty("system_fingerprint");
      }
    } finally {
      await server.close();
    }
  });

  // completion/serving.py: the answer sets system_fingerprint (protocol.py CompletionResponse:
  // service_tier, system_fingerprint, then usage); the stream stamps its final message as chat
  // does, and PR #40537 dumps its chunks with exclude_unset, so no "usage": null.
  it("stamps completions, whole and streamed, and drops the chunks' usage null", async () => {
    const server = await fingerprintServer("0.21.0", fp);
    try {
      const whole = await openaiClient(server).completions.create({
        model: "granite",
        prompt: "Tell me",
        max_tokens: 2,
      });
      expect(whole.system_fingerprint).toBe(fp);
      expect(Object.keys(whole)).toEqual([
        "id",
        "object",
        "created",
        "model",
        "choices",
        "service_tier",
        "system_fingerprint",
        "usage",
        "kv_transfer_params",
      ]);
      const logprobs = await openaiClient(server).completions.create({
        model: "granite",
        prompt: "Tell me",
        max_tokens: 2,
        logprobs: 1,
      });
      expect(logprobs.system_fingerprint).toBe(fp);
      const raw = await events(`${server.url}/v1/completions`, {
        prompt: "Tell me",
        max_tokens: 3,
      });
      for (const chunk of raw.slice(0, -1)) {
        expect(Object.keys(chunk)).toEqual(["id", "object", "created", "model", "choices"]);
      }
      expect(raw.at(-1)?.system_fingerprint).toBe(fp);
      const usage = await events(`${server.url}/v1/completions`, {
        prompt: "Tell me",
        max_tokens: 3,
        stream_options: { include_usage: true },
      });
      expect(usage.at(-1)?.system_fingerprint).toBe(fp);
      expect(usage.at(-2)).not.toHaveProperty("system_fingerprint");
    } finally {
      await server.close();
    }
  });

  // Before PR #40537: completion chunks dumped with exclude_unset=False (vllm-openai.md §6) and
  // no fingerprint string anywhere, whatever the handler is given; the whole answer has the key,
  // null, as protocol.py CompletionResponse declares it (a 0.10.1-era tree already does).
  it("keeps 0.20.0 completions as they were", async () => {
    const server = await fingerprintServer("0.20.0", null);
    try {
      const raw = await events(`${server.url}/v1/completions`, {
        prompt: "Tell me",
        max_tokens: 2,
      });
      for (const chunk of raw) expect(chunk).toHaveProperty("usage", null);
      for (const chunk of raw) expect(chunk).not.toHaveProperty("system_fingerprint");
      const whole = await openaiClient(server).completions.create({
        model: "granite",
        prompt: "Tell me",
        max_tokens: 2,
      });
      expect(whole).toHaveProperty("system_fingerprint", null);
      expect(whole).toHaveProperty("service_tier", null);
    } finally {
      await server.close();
    }
  });
});

/**
 * The 0.20 patch releases carry no fingerprint: PR #40537 is a feature merged after the v0.20.0
 * cut, and the 0.20.x patches are stabilization fixes (0.20.2 of 2026-05-10: six commits, fixes
 * for DeepSeek V4, gpt-oss MXFP4 and Qwen3-VL), so `system_fingerprint` stays null there and
 * `--fingerprint-mode` is an unknown argument; 0.21.0 is the first release with both.
 */
describe("system_fingerprint on the 0.20 patch releases", () => {
  it("is null on 0.20.1 and 0.20.2, a string on 0.21.0", async () => {
    for (const [version, stamped] of [
      ["0.20.1", false],
      ["0.20.2", false],
      ["0.21.0", true],
    ] as const) {
      const server = await startVllm({ "vllm-version": version, "served-model-name": "m" });
      try {
        const client = openaiClient(server);
        const chat = await client.chat.completions.create({
          model: "m",
          messages: [{ role: "user", content: "hi" }],
          max_tokens: 2,
        });
        const text = await client.completions.create({ model: "m", prompt: "x", max_tokens: 2 });
        for (const answer of [chat, text]) {
          if (stamped) expect(answer.system_fingerprint, version).toMatch(/^vllm-0\.21\.0-/);
          else expect(answer.system_fingerprint, version).toBeNull();
        }
      } finally {
        await server.close();
      }
    }
    await expect(
      startVllm({ "vllm-version": "0.20.2", "fingerprint-mode": "none" }),
    ).rejects.toThrow("unrecognized arguments: --fingerprint-mode none");
  });
});
