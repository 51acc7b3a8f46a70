import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { defaultModelSpec, loadModelDir, type ModelSpec } from "@servingkit/mock-core/engine";
import {
  isRuntimeName,
  ManualClock,
  type RunningMock,
  type RuntimeOptionValues,
  startMock,
} from "@servingkit/mock-core/host";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tgisGrpcPlugin, tgisLimitsFromOptions, tgisMockModule } from "./mock.js";

// An independent client, as the seeds' `grpcurl -proto generation.proto` call: grpc-js with
// proto-loader reading our .proto file (keepCase: the proto's own field names).
const protoPath = fileURLToPath(new URL("../../../proto/fmaas/generation.proto", import.meta.url));
const definition = protoLoader.loadSync(protoPath, {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
});
const fmaas = grpc.loadPackageDefinition(definition).fmaas as grpc.GrpcObject;
const ServiceClient = fmaas.GenerationService as grpc.ServiceClientConstructor;

type Json = Record<string, unknown>;
type Client = grpc.Client & Record<string, (...args: unknown[]) => unknown>;

function unary(client: Client, method: string, request: Json, metadata = new grpc.Metadata()) {
  return new Promise<Json>((resolve, reject) => {
    client[method]?.(request, metadata, (error: grpc.ServiceError | null, reply: Json) =>
      error ? reject(error) : resolve(reply),
    );
  });
}

function stream(client: Client, request: Json): Promise<Json[]> {
  return new Promise((resolve, reject) => {
    const messages: Json[] = [];
    const call = client.GenerateStream?.(request) as grpc.ClientReadableStream<Json>;
    call.on("data", (m: Json) => messages.push(m));
    call.on("error", reject);
    call.on("end", () => resolve(messages));
  });
}

/**
 * The status message as a spec-conforming client reads it. mock-core's gRPC host (connect-node)
 * percent-encodes `grpc-message` with encodeURIComponent, and grpc-js decodes it with decodeURI,
 * so `=` and `/` reach grpc-js as `%3D`/`%2F` (grpcurl and connect decode them). Reported as a
 * shared-code change; until then the tests decode fully.
 */
function details(error: grpc.ServiceError): string {
  return decodeURIComponent(error.details);
}

async function rejection(promise: Promise<unknown>): Promise<grpc.ServiceError> {
  try {
    await promise;
  } catch (error) {
    return error as grpc.ServiceError;
  }
  throw new Error("expected an error");
}

async function startTgis(values: RuntimeOptionValues = {}, tokens?: string[]) {
  return startMock({
    runtime: "tgis",
    host: "127.0.0.1",
    httpPort: 0,
    grpcPort: 0,
    ...(tokens ? { tokens } : {}),
    plugins: await tgisMockModule.plugins({ runtime: "tgis", models: [], values }),
  });
}

function connect(mock: RunningMock): Client {
  return new ServiceClient(
    mock.endpoints.grpc ?? "",
    grpc.credentials.createInsecure(),
  ) as unknown as Client;
}

describe("tgisMockModule", () => {
  it("serves exactly its runtimes", () => {
    expect([...tgisMockModule.runtimes].sort()).toEqual(["tgis"].sort());
    for (const runtime of tgisMockModule.runtimes) expect(isRuntimeName(runtime)).toBe(true);
  });

  it("keeps the client entry free of mock code (docs/decisions/0002)", () => {
    const entry = readFileSync(new URL("./index.ts", import.meta.url), "utf8");
    expect(entry).not.toMatch(/from\s+["']\.\/mock/);
    expect(entry).not.toMatch(/@servingkit\/mock-core/);
  });

  it("derives limits as TGIS's launcher does, and refuses unusable values", () => {
    // caikit-tgis.md §3.3: max_new_tokens 1024 capped at max_sequence_length − 1.
    expect(tgisLimitsFromOptions({})).toMatchObject({
      maxSequenceLength: 2048,
      maxNewTokens: 1024,
    });
    expect(tgisLimitsFromOptions({ "max-sequence-length": "200" }).maxNewTokens).toBe(199);
    expect(() => tgisLimitsFromOptions({ "max-new-tokens": "x" })).toThrow(/positive integer/);
    expect(() => tgisLimitsFromOptions({ "default-include-stop-seqs": "yes" })).toThrow(
      /true or false/,
    );
  });
});

describe("fmaas.GenerationService over the wire (grpc-js + proto-loader)", () => {
  let mock: RunningMock;
  let client: Client;
  let spec: ModelSpec;
  /** Tokens TGIS counts for a text: the served model's tokenizer, special tokens included. */
  const count = (text: string) => spec.tokenizer.encode(text).length;
  /** A text of exactly `n` tokens under the default model ("a" then " b" repeated, plus BOS). */
  const textOf = (n: number) => `a${" b".repeat(n - count("a"))}`;
  beforeAll(async () => {
    spec = await defaultModelSpec();
    mock = await startTgis({ "max-sequence-length": "200", "max-new-tokens": "169" });
    client = connect(mock);
  });
  afterAll(async () => {
    client.close();
    await mock.close();
  });

  it("answers the seed's Generate call with counts and a final stop reason", async () => {
    // Seed: grpcurl -proto generation.proto -d '{"requests": [{"text":"<text>"}]}' ... Generate.
    const reply = await unary(client, "Generate", { requests: [{ text: "<text>" }] });
    const [response] = reply.responses as Json[];
    expect(response?.input_token_count).toBe(count("<text>"));
    // caikit-tgis.md §3.3: max_new_tokens 0 → 20 (EOS may end it sooner); greedy seed 0.
    expect(response?.generated_token_count).toBeLessThanOrEqual(20);
    expect(["MAX_TOKENS", "EOS_TOKEN"]).toContain(response?.stop_reason);
    if (response?.stop_reason === "MAX_TOKENS") expect(response.generated_token_count).toBe(20);
    expect(response).toMatchObject({ tokens: [], input_tokens: [] });
    expect(String(response?.seed)).toBe("0");
    expect(typeof response?.text).toBe("string");
  });

  it("answers an empty batch with no responses", async () => {
    // caikit-tgis.md §3.3: empty requests → OK with responses [].
    expect(await unary(client, "Generate", { requests: [] })).toEqual({ responses: [] });
  });

  it("answers a batch in order, input_text prefixing the prompt", async () => {
    const reply = await unary(client, "Generate", {
      requests: [{ text: "one" }, { text: "two words" }],
      params: { response: { input_text: true }, stopping: { max_new_tokens: 3 } },
    });
    const responses = reply.responses as Json[];
    expect(responses.map((r) => r.input_token_count)).toEqual([count("one"), count("two words")]);
    expect(String(responses[0]?.text).startsWith("one")).toBe(true);
    expect(String(responses[1]?.text).startsWith("two words")).toBe(true);
  });

  it("picks a u32 seed for SAMPLE without one and repeats a given seed", async () => {
    // caikit-tgis.md §3.3: SAMPLE without seed → server-chosen u32 returned in `seed`.
    const params = { method: "SAMPLE", stopping: { max_new_tokens: 8 } };
    const chosen = (
      (await unary(client, "Generate", { requests: [{ text: "a" }], params })).responses as Json[]
    )[0];
    expect(BigInt(chosen?.seed as string)).toBeLessThan(2n ** 32n);
    const seeded = { ...params, sampling: { seed: "42" } };
    const a = (
      (await unary(client, "Generate", { requests: [{ text: "a" }], params: seeded }))
        .responses as Json[]
    )[0];
    const b = (
      (await unary(client, "Generate", { requests: [{ text: "a" }], params: seeded }))
        .responses as Json[]
    )[0];
    expect(a?.seed).toBe("42");
    expect(a?.text).toBe(b?.text);
  });

  it("truncates from the left and reports the truncated count", async () => {
    // caikit-tgis.md §3.3: truncate_input_tokens keeps the last N tokens; count = N.
    const text = "a b c d e";
    const reply = await unary(client, "Generate", {
      requests: [{ text }],
      params: {
        truncate_input_tokens: 2,
        response: { input_tokens: true },
        stopping: { max_new_tokens: 1 },
      },
    });
    const [response] = reply.responses as Json[];
    expect(response?.input_token_count).toBe(2);
    const last = spec.tokenizer
      .encode(text)
      .slice(-2)
      .map((id) => spec.tokenizer.tokenText(id));
    expect((response!.input_tokens as Json[]).map((t) => t.text)).toEqual(last);
  });

  it("ends with TOKEN_LIMIT when input plus max_new_tokens passes the sequence length", async () => {
    // caikit-tgis.md §3.3: max_new_tokens is lowered to fit and the stop reason is TOKEN_LIMIT.
    const reply = await unary(client, "Generate", {
      requests: [{ text: textOf(190) }],
      params: { stopping: { max_new_tokens: 50, min_new_tokens: 10 } },
    });
    expect((reply.responses as Json[])[0]).toMatchObject({
      input_token_count: 190,
      generated_token_count: 10,
      stop_reason: "TOKEN_LIMIT",
    });
  });

  it("stops at a stop sequence, keeping it by default and dropping it when asked", async () => {
    // caikit-tgis.md §3.3: stop_sequence holds the match; include_stop_sequence default true.
    const free = (
      (
        await unary(client, "Generate", {
          requests: [{ text: "Once" }],
          params: { stopping: { max_new_tokens: 20, min_new_tokens: 20 } },
        })
      ).responses as Json[]
    )[0];
    const words = String(free?.text).trim().split(/\s+/);
    const stop = ` ${words[2]}`;
    const stopping = { max_new_tokens: 20, stop_sequences: [stop] };
    const kept = (
      (await unary(client, "Generate", { requests: [{ text: "Once" }], params: { stopping } }))
        .responses as Json[]
    )[0];
    expect(kept).toMatchObject({ stop_reason: "STOP_SEQUENCE", stop_sequence: stop });
    expect(String(kept?.text).endsWith(stop)).toBe(true);
    const dropped = (
      (
        await unary(client, "Generate", {
          requests: [{ text: "Once" }],
          params: { stopping: { ...stopping, include_stop_sequence: false } },
        })
      ).responses as Json[]
    )[0];
    expect(dropped?.text).toBe(String(kept?.text).slice(0, -stop.length));
  });

  it("returns token details only on request", async () => {
    const reply = await unary(client, "Generate", {
      requests: [{ text: "hi" }],
      params: {
        stopping: { max_new_tokens: 3 },
        response: {
          generated_tokens: true,
          token_logprobs: true,
          token_ranks: true,
          top_n_tokens: 2,
        },
      },
    });
    const tokens = (reply.responses as Json[])[0]?.tokens as Json[];
    expect(tokens).toHaveLength(3);
    for (const token of tokens) {
      expect(token.logprob).toBeLessThan(0);
      expect(token.rank).toBeGreaterThanOrEqual(1);
      expect(token.top_tokens).toHaveLength(2);
    }
  });

  it("streams the message sequence of caikit-tgis.md §3.6", async () => {
    const messages = await stream(client, {
      request: { text: "Hello world" },
      params: {
        method: "SAMPLE",
        sampling: { seed: "7" },
        stopping: { max_new_tokens: 4, min_new_tokens: 4 },
        response: { input_tokens: true, generated_tokens: true },
      },
    });
    // (1) input count and seed first; (2) the input tokens alone; (3) one per token; (4) the last
    // with the stop reason and the seed.
    expect(messages).toHaveLength(1 + 1 + 4);
    expect(messages[0]).toMatchObject({
      input_token_count: count("Hello world"),
      seed: "7",
      stop_reason: "NOT_FINISHED",
      generated_token_count: 0,
    });
    expect((messages[1]!.input_tokens as Json[]).map((t) => t.text)).toEqual(
      spec.tokenizer.encode("Hello world").map((id) => spec.tokenizer.tokenText(id)),
    );
    expect(messages[1]?.input_token_count).toBe(0);
    const tokenMessages = messages.slice(2);
    expect(tokenMessages.map((m) => m.generated_token_count)).toEqual([1, 2, 3, 4]);
    for (const m of tokenMessages) expect(m.tokens).toHaveLength(1);
    expect(tokenMessages.slice(0, -1).every((m) => m.stop_reason === "NOT_FINISHED")).toBe(true);
    expect(messages.at(-1)).toMatchObject({ stop_reason: "MAX_TOKENS", seed: "7" });
    // The deltas add up to the unary text of the same request.
    const unaryText = (
      (
        await unary(client, "Generate", {
          requests: [{ text: "Hello world" }],
          params: {
            method: "SAMPLE",
            sampling: { seed: "7" },
            stopping: { max_new_tokens: 4, min_new_tokens: 4 },
          },
        })
      ).responses as Json[]
    )[0]?.text;
    expect(tokenMessages.map((m) => m.text).join("")).toBe(unaryText);
  });

  it("refuses a stream without a request: INVALID_ARGUMENT 'missing request'", async () => {
    const error = await rejection(stream(client, {}));
    expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(error.details).toBe("missing request");
  });

  it.each([
    [{ stopping: { max_new_tokens: 170 } }, "max_new_tokens must be <= 169"],
    [{ method: "SAMPLE", sampling: { temperature: 0.01 } }, "temperature must be >= 0.05"],
    [
      { response: { token_logprobs: true } },
      "must request input and/or generated tokens to request extra token detail",
    ],
  ])(
    "validates %o with INVALID_ARGUMENT %s (Generate and GenerateStream)",
    async (params, text) => {
      // caikit-tgis.md §3.4 texts; limits from the launcher options.
      const unaryError = await rejection(
        unary(client, "Generate", { requests: [{ text: "x" }], params }),
      );
      expect(unaryError.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(details(unaryError)).toBe(text);
      const streamError = await rejection(stream(client, { request: { text: "x" }, params }));
      expect(streamError.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(details(streamError)).toBe(text);
    },
  );

  it("refuses an input at the sequence length", async () => {
    const error = await rejection(unary(client, "Generate", { requests: [{ text: textOf(200) }] }));
    expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
    // integration_tests/test_cases_*.yaml wording.
    expect(error.details).toBe("input tokens (200) plus prefix length (0) must be < 200");
  });

  it("tokenizes with counts, tail tokens and offsets on request", async () => {
    // grpc_server.rs tokenize: count = min(count, truncate); the LAST tokens/offsets.
    const text = "a bb ccc";
    const ids = spec.tokenizer.encode(text);
    const plain = await unary(client, "Tokenize", { requests: [{ text }] });
    expect(plain).toEqual({ responses: [{ token_count: ids.length, tokens: [], offsets: [] }] });
    const detailed = await unary(client, "Tokenize", {
      requests: [{ text }],
      return_tokens: true,
      return_offsets: true,
      truncate_input_tokens: 2,
    });
    const offsets = spec.tokenizer.offsets(text).slice(-2);
    expect(detailed).toEqual({
      responses: [
        {
          token_count: 2,
          tokens: ids.slice(-2).map((id) => spec.tokenizer.tokenText(id)),
          offsets: offsets.map(([start, end]) => ({ start, end })),
        },
      ],
    });
    // An added special token (BOS) has the empty span (0, 0), as tokenizers report it.
    const all = await unary(client, "Tokenize", {
      requests: [{ text }],
      return_offsets: true,
    });
    const spans = ((all.responses as Json[])[0]?.offsets ?? []) as Json[];
    expect(spans).toHaveLength(ids.length);
    if (spec.tokenizer.isSpecial(ids[0] ?? -1)) expect(spans[0]).toEqual({ start: 0, end: 0 });
  });

  it("answers ModelInfo from the configured limits, ignoring model_id", async () => {
    // caikit-tgis.md §3.3: ModelInfo from server state; model_id ignored.
    expect(await unary(client, "ModelInfo", { model_id: "anything" })).toEqual({
      model_kind: "DECODER_ONLY",
      max_sequence_length: 200,
      max_new_tokens: 169,
    });
  });
});

describe("TGIS mock limits and platform", () => {
  it("answers RESOURCE_EXHAUSTED 'Model is overloaded' past max-concurrent-requests", async () => {
    // grpc_server.rs: try_acquire_many(batch_size) → resource_exhausted("Model is overloaded").
    const mock = await startTgis({ "max-concurrent-requests": "2" });
    const client = connect(mock);
    try {
      const error = await rejection(
        unary(client, "Generate", { requests: [{ text: "a" }, { text: "b" }, { text: "c" }] }),
      );
      expect(error.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
      expect(error.details).toBe("Model is overloaded");
      // Two fit, and the permits come back afterwards.
      await unary(client, "Generate", { requests: [{ text: "a" }, { text: "b" }] });
      await unary(client, "Generate", { requests: [{ text: "a" }, { text: "b" }] });
    } finally {
      client.close();
      await mock.close();
    }
  });

  it("works with the seed's bearer token and refuses a call without it", async () => {
    const mock = await startTgis({}, ["s3cret"]);
    const client = connect(mock);
    try {
      const metadata = new grpc.Metadata();
      metadata.set("authorization", "Bearer s3cret");
      const reply = await unary(client, "Generate", { requests: [{ text: "x" }] }, metadata);
      expect(reply.responses as Json[]).toHaveLength(1);
      const error = await rejection(unary(client, "Generate", { requests: [{ text: "x" }] }));
      expect(error.code).toBe(grpc.status.UNAUTHENTICATED);
    } finally {
      client.close();
      await mock.close();
    }
  });

  it("frees a cancelled stream's permit", async () => {
    // caikit-tgis.md §3.6: client cancel drops the stream; grpc_server.rs StreamContext holds
    // the permit until the stream is dropped.
    const limits = tgisLimitsFromOptions({ "max-concurrent-requests": "1" });
    const mock = await startMock({
      runtime: "tgis",
      host: "127.0.0.1",
      httpPort: 0,
      grpcPort: 0,
      plugins: [
        tgisGrpcPlugin({ limits, spec: await defaultModelSpec(), pacing: { interTokenMs: 20 } }),
      ],
    });
    const client = connect(mock);
    try {
      const call = client.GenerateStream?.({
        request: { text: "x" },
        params: { stopping: { max_new_tokens: 500 } },
      }) as grpc.ClientReadableStream<Json>;
      await new Promise<void>((resolve) => call.once("data", () => resolve()));
      const busy = await rejection(unary(client, "Generate", { requests: [{ text: "y" }] }));
      expect(busy.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
      call.on("error", () => undefined);
      call.cancel();
      let reply: Json | undefined;
      for (let attempt = 0; attempt < 50 && reply === undefined; attempt += 1) {
        reply = await unary(client, "Generate", {
          requests: [{ text: "y" }],
          params: { stopping: { max_new_tokens: 1 } },
        }).catch(async () => {
          await new Promise((r) => setTimeout(r, 20));
          return undefined;
        });
      }
      expect((reply?.responses as Json[] | undefined)?.length).toBe(1);
    } finally {
      client.close();
      await mock.close();
    }
  });

  it("serves /metrics with TGIS's metric names", async () => {
    // caikit-tgis.md §3.7: tgi_request_count{kind}, tgi_request_success{stop_reason,kind},
    // tgi_request_failure{err}.
    const mock = await startTgis();
    const client = connect(mock);
    try {
      await unary(client, "Generate", { requests: [{ text: "a" }] });
      await rejection(
        unary(client, "Generate", {
          requests: [{ text: "a" }],
          params: { stopping: { max_new_tokens: 5000 } },
        }),
      );
      const response = await fetch(`${mock.endpoints.http}/metrics`);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
      const text = await response.text();
      expect(text).toMatch(/^tgi_request_count\{kind="single"\} 2$/m);
      expect(text).toMatch(/^tgi_request_success\{stop_reason="MAX_TOKENS",kind="single"\} 1$/m);
      expect(text).toMatch(/^tgi_request_failure\{err="validation"\} 1$/m);
      expect(text).toContain("tgi_queue_size 0");
    } finally {
      client.close();
      await mock.close();
    }
  });

  it("answers the seed's grpcurl -proto call (buf curl --schema) over TLS with a token", async () => {
    // Seed: grpcurl -proto generation.proto -d '{"requests": [{"text":"<text>"}]}' \
    //   -H 'Authorization: Bearer <token>' -insecure <url>:443 fmaas.GenerationService/Generate
    const buf = fileURLToPath(new URL("../node_modules/.bin/buf", import.meta.url));
    const mock = await startMock({
      runtime: "tgis",
      host: "127.0.0.1",
      httpPort: 0,
      grpcPort: 0,
      tls: true,
      tokens: ["tok"],
      plugins: await tgisMockModule.plugins({ runtime: "tgis", models: [], values: {} }),
    });
    try {
      const dir = mkdtempSync(join(tmpdir(), "servingkit-tgis-"));
      const ca = join(dir, "ca.pem");
      writeFileSync(ca, mock.certificatePem ?? "");
      const { stdout } = await promisify(execFile)(buf, [
        "curl",
        "--protocol",
        "grpc",
        "--schema",
        protoPath,
        "--cacert",
        ca,
        "-H",
        "Authorization: Bearer tok",
        "-d",
        '{"requests": [{"text":"<text>"}]}',
        `https://${mock.endpoints.grpc}/fmaas.GenerationService/Generate`,
      ]);
      const [response] = JSON.parse(stdout).responses;
      // Proto JSON as in TGIS's tests (caikit-tgis.md §3.5): camelCase, zero values omitted.
      expect(response.inputTokenCount).toBeGreaterThan(0);
      expect(["MAX_TOKENS", "EOS_TOKEN"]).toContain(response.stopReason);
      expect(response.seed).toBeUndefined();
    } finally {
      await mock.close();
    }
  });

  it("serves a model directory given as --model: its tokenizer and context length", async () => {
    // caikit-tgis.md §3.3: max_sequence_length from the model config (max_position_embeddings
    // first); Tokenize uses the model's tokenizer.
    const dir = fileURLToPath(
      new URL("../../mock-core/src/engine/testdata/tiny-wordpiece", import.meta.url),
    );
    const mock = await startMock({
      runtime: "tgis",
      host: "127.0.0.1",
      httpPort: 0,
      grpcPort: 0,
      plugins: await tgisMockModule.plugins({ runtime: "tgis", models: [dir], values: {} }),
    });
    const client = connect(mock);
    try {
      const info = await unary(client, "ModelInfo", {});
      expect(info).toMatchObject({ max_sequence_length: 512, max_new_tokens: 511 });
      const spec = await loadModelDir(dir);
      const tokens = await unary(client, "Tokenize", { requests: [{ text: "hello world" }] });
      expect((tokens.responses as Json[])[0]?.token_count).toBe(
        spec.tokenizer.encode("hello world").length,
      );
    } finally {
      client.close();
      await mock.close();
    }
  });

  it("serves /health on the HTTP port", async () => {
    const mock = await startTgis();
    try {
      const response = await fetch(`${mock.endpoints.http}/health`);
      expect(response.status).toBe(200);
    } finally {
      await mock.close();
    }
  });
});

describe("TGIS on the simulated GPU (issue 7: the engine options of every generative runtime)", () => {
  // IBM TGIS speculates with its own MLP speculator from SPECULATOR_NAME
  // (server/text_generation_server/models/paged_causal_lm.py), not vLLM's --speculative-config,
  // and exports none of vLLM's spec-decode metrics: the mock offers neither flag.
  it("offers the engine options but not vLLM's speculative decoding flags", () => {
    const options = tgisMockModule.options ?? {};
    expect(options.gpu).toBeDefined();
    expect(options["max-num-seqs"]).toBeDefined();
    expect(options["speculative-config"]).toBeUndefined();
    expect(options["speculative-acceptance-rate"]).toBeUndefined();
    // IBM TGIS get_model (models/__init__.py) has no Mamba model class: no --mamba-cache-mode.
    expect(options["mamba-cache-mode"]).toBeUndefined();
  });

  it("queues beyond max_num_seqs and reports the engine's queue and batch in /metrics", async () => {
    // caikit-tgis.md §3.7: tgi_queue_size and tgi_batch_current_size; vllm-openai.md §9: the
    // scheduler runs at most max_num_seqs requests, the rest wait.
    const clock = new ManualClock();
    const mock = await startMock({
      runtime: "tgis",
      host: "127.0.0.1",
      httpPort: 0,
      grpcPort: 0,
      clock,
      plugins: await tgisMockModule.plugins({
        runtime: "tgis",
        models: [],
        values: { gpu: "l4", "max-num-seqs": "2" },
      }),
    });
    const client = connect(mock);
    const scrape = async () => (await fetch(`${mock.endpoints.http}/metrics`)).text();
    try {
      const calls = Array.from({ length: 4 }, (_, i) =>
        unary(client, "Generate", {
          requests: [{ text: `question ${i}` }],
          params: { stopping: { max_new_tokens: 40, min_new_tokens: 40 } },
        }),
      );
      // Let the four reach the engine, then run a few engine steps.
      let text = "";
      for (let i = 0; i < 200 && !/^tgi_queue_size 2$/m.test(text); i++) {
        await new Promise((resolve) => setTimeout(resolve, 2));
        await clock.advance(10);
        text = await scrape();
      }
      expect(text).toMatch(/^tgi_queue_size 2$/m);
      expect(text).toMatch(/^tgi_batch_current_size 2$/m);
      let done = false;
      const all = Promise.all(calls).finally(() => {
        done = true;
      });
      for (let i = 0; i < 20_000 && !done; i++) {
        await new Promise((resolve) => setImmediate(resolve));
        await clock.advance(10);
      }
      const replies = await all;
      for (const reply of replies) {
        expect((reply.responses as Json[])[0]?.generated_token_count).toBe(40);
      }
      text = await scrape();
      expect(text).toMatch(/^tgi_queue_size 0$/m);
      expect(text).toMatch(/^tgi_batch_current_size 0$/m);
    } finally {
      client.close();
      await mock.close();
    }
  });

  it("fails to start with vLLM's KV-cache text when the GPU is too small", async () => {
    // vllm/v1/core/kv_cache_utils.py: no memory left for KV blocks after the weights.
    await expect(startTgis({ gpu: "l4", "gpu-memory-utilization": "0.2" })).rejects.toThrow(
      "No available memory for the cache blocks.",
    );
  });

  it("refuses an engine option without --gpu", async () => {
    await expect(startTgis({ "max-num-seqs": "2" })).rejects.toThrow("--max-num-seqs needs --gpu");
  });
});
