/**
 * The runtime scenarios of issues 3 to 6: each runtime mock (with its protocol, as
 * `servingkit mock` starts it) against bare baselines answering the mock's own bytes, captured
 * once before the run. Goals are quoted from the issues and checked in each scenario's notes.
 */
import { create, toBinary } from "@bufbuild/protobuf";
import { EmbeddingTaskRequestSchema, NlpService } from "@servingkit/proto/caikit";
import {
  BatchedGenerationRequestSchema,
  GenerationService,
  SingleGenerationRequestSchema,
} from "@servingkit/proto/fmaas";
import { GRPCInferenceService, ModelInferRequestSchema } from "@servingkit/proto/inference";
import { captureGrpc, captureHttp } from "./capture.js";
import { createGrpcStreamDriver, createGrpcUnaryDriver } from "./grpc-load.js";
import { createHttpDriver, createSequentialHttpDriver } from "./http-load.js";
import type { Measurement } from "./measurement.js";
import type { RuntimeMockSpec } from "./runtime-servers.js";
import type { Contestant, ScenarioSpec } from "./scenario-spec.js";
import { createSseDriver } from "./sse-load.js";

const json = { "content-type": "application/json" };

/** `/package.Service/Method` of a protobuf-es method. */
function pathOf(method: { readonly name: string; readonly parent: { readonly typeName: string } }) {
  return `/${method.parent.typeName}/${method.name}`;
}

function row(measurements: readonly Measurement[], label: string): Measurement | undefined {
  return measurements.find((m) => m.label === label);
}

function ratioNote(
  measurements: readonly Measurement[],
  mock: string,
  baseline: string,
  goal: number,
  source: string,
): string {
  const m = row(measurements, mock);
  const b = row(measurements, baseline);
  if (!m || !b || b.rps <= 0) return `${source}: no numbers`;
  const ratio = m.rps / b.rps;
  return `${source}: ${mock} / ${baseline} = ${ratio.toFixed(2)}x (goal at least ${goal.toFixed(1)}x): ${ratio >= goal ? "met" : "NOT met"}.`;
}

/** REST: autocannon, `settings.connections` connections, the same JSON POST to every server. */
function restContestants(
  mock: RuntimeMockSpec,
  path: string,
  body: string,
  mockLabel: string,
): () => Promise<readonly Contestant[]> {
  return async () => {
    const answer = await captureHttp(mock, { path, headers: json, body });
    const driver: Contestant["driver"] = (server, settings) =>
      createHttpDriver({
        url: `${server.address}${path}`,
        method: "POST",
        headers: json,
        body,
        connections: settings.connections,
      });
    return [
      {
        server: {
          kind: "canned-http",
          path,
          status: answer.status,
          headers: { "content-type": answer.headers["content-type"] ?? "application/json" },
          body: answer.body,
        },
        label: "bare fastify route (same JSON)",
        role: "baseline",
        driver,
      },
      { server: { ...mock, protocol: "http" }, label: mockLabel, role: "mock", driver },
    ];
  };
}

/** gRPC unary: a grpc-js client, `settings.inFlight` calls in flight, the same request bytes. */
function grpcContestants(
  mock: RuntimeMockSpec,
  path: string,
  request: Uint8Array,
  mockLabel: string,
  metadata: Readonly<Record<string, string>> = {},
  streaming = false,
): () => Promise<readonly Contestant[]> {
  return async () => {
    const messages = await captureGrpc(mock, { path, request, metadata, streaming });
    const driver: Contestant["driver"] = (server, settings) =>
      (streaming ? createGrpcStreamDriver : createGrpcUnaryDriver)({
        address: server.address,
        path,
        request,
        metadata,
        inFlight: settings.inFlight,
      });
    return [
      {
        server: { kind: "canned-grpc", path, messages, streaming },
        label: "bare @grpc/grpc-js server (same messages)",
        role: "baseline",
        driver,
      },
      { server: { ...mock, protocol: "grpc" }, label: mockLabel, role: "mock", driver },
    ];
  };
}

const restLoad = (settings: { connections: number }) =>
  `autocannon, ${settings.connections} connections`;
const grpcLoad = (settings: { inFlight: number }) =>
  `@grpc/grpc-js client, ${settings.inFlight} calls in flight`;

// --- vLLM (issue 3) ---

const vllm: RuntimeMockSpec = { kind: "runtime-mock", runtime: "vllm", protocol: "http" };
const vllmModel = "servingkit-mock";
const completionsPath = "/v1/completions";
/** Tokens per benchmark completion: small, as issue 3 asks. */
const completionTokens = 16;
/** Tokens per benchmark stream: 50 at 20 ms is a one-second stream. */
const streamTokens = 50;
/** The configured inter-token latency of the streams scenario (issue 3). */
const interTokenMs = 20;

const vllmCompletions: ScenarioSpec = {
  title: `POST ${completionsPath} (non-streaming, max_tokens ${completionTokens}, greedy, no latency knobs): the vLLM mock vs a bare fastify route answering the same JSON`,
  load: restLoad,
  contestants: restContestants(
    vllm,
    completionsPath,
    JSON.stringify({
      model: vllmModel,
      prompt: "Say this is a test",
      max_tokens: completionTokens,
      temperature: 0,
    }),
    "mock vllm",
  ),
  notes: (m) => [
    ratioNote(m, "mock vllm", "bare fastify route (same JSON)", 0.7, "Issue 3 completions goal"),
  ],
};

const vllmStreams: ScenarioSpec = {
  title: `${completionsPath} streams (stream: true, max_tokens ${streamTokens}) with a ${interTokenMs} ms inter-token latency: the vLLM mock (--inter-token-latency ${interTokenMs}) vs toolchain.md's bare node:http SSE baseline (1 ms ticker, one event per stream every ${interTokenMs} ms, the mock's own events)`,
  unit: "events/s",
  latency: "inter-token gap",
  placement: "process",
  sampleMemory: true,
  load: (settings) =>
    `${settings.streams} concurrent SSE streams (a raw node:net client that only frames, counts and timestamps events, HTTP/1.1 keep-alive; started over 1 s, each replaced when it ends; each round counts its seconds from when all are open, not the ramp or the tail), servers in child processes`,
  contestants: async () => {
    const body = JSON.stringify({
      model: vllmModel,
      prompt: "Say this is a test",
      max_tokens: streamTokens,
      temperature: 0,
      stream: true,
    });
    const answer = await captureHttp(vllm, { path: completionsPath, headers: json, body });
    const events = answer.body
      .toString("utf8")
      .split("\n\n")
      .filter((event) => event.startsWith("data: ") && event !== "data: [DONE]")
      .map((event) => `${event}\n\n`);
    const driver: Contestant["driver"] = (server, settings) =>
      createSseDriver({
        url: `${server.address}${completionsPath}`,
        headers: json,
        body,
        streams: settings.streams,
      });
    return [
      {
        server: { kind: "ticker-sse", path: completionsPath, events, intervalMs: interTokenMs },
        label: "bare node:http SSE ticker",
        role: "baseline",
        driver,
      },
      {
        server: {
          kind: "runtime-mock",
          runtime: "vllm",
          protocol: "http",
          values: { "inter-token-latency": String(interTokenMs) },
        },
        label: "mock vllm",
        role: "mock",
        driver,
      },
    ];
  },
  notes: (measurements, extras) => {
    const lines: string[] = [];
    for (const m of measurements) {
      const off = m.p99 - interTokenMs;
      lines.push(
        `${m.label}: delivered gap p50 ${m.p50.toFixed(1)} ms, p99 ${m.p99.toFixed(1)} ms against the configured ${interTokenMs} ms` +
          (m.role === "mock"
            ? ` (issue 3 goal: p99 within 5 ms: ${Math.abs(off) <= 5 ? "met" : "NOT met"})`
            : "") +
          ".",
      );
      const memory = extras.memory.get(m.label);
      if (memory) {
        lines.push(
          `${m.label}: peak RSS under load ${memory.rssMiB.toFixed(0)} MiB (V8 heap in use ${memory.heapMiB.toFixed(0)} MiB).`,
        );
      }
    }
    return lines;
  },
};

// --- KServe v2 (issue 4) ---

const triton: RuntimeMockSpec = { kind: "runtime-mock", runtime: "triton", protocol: "http" };
const sixteen = Array.from({ length: 16 }, (_, i) => i);

const kserveInferRest: ScenarioSpec = {
  title:
    "POST /v2/models/simple/infer (Triton's `simple`: two INT32 [1,16] inputs as JSON): the Triton mock vs a bare fastify route answering the same JSON",
  load: restLoad,
  contestants: restContestants(
    triton,
    "/v2/models/simple/infer",
    JSON.stringify({
      inputs: [
        { name: "INPUT0", shape: [1, 16], datatype: "INT32", data: sixteen },
        { name: "INPUT1", shape: [1, 16], datatype: "INT32", data: sixteen },
      ],
    }),
    "mock triton",
  ),
  notes: (m) => [
    ratioNote(m, "mock triton", "bare fastify route (same JSON)", 0.7, "Issue 4 REST infer goal"),
  ],
};

const modelInferPath = pathOf(GRPCInferenceService.method.modelInfer);

const kserveInferGrpc: ScenarioSpec = {
  title:
    "inference.GRPCInferenceService/ModelInfer (Triton's `simple`, two INT32 [1,16] inputs): the Triton mock vs a plain @grpc/grpc-js server answering the same message",
  load: grpcLoad,
  contestants: grpcContestants(
    triton,
    modelInferPath,
    toBinary(
      ModelInferRequestSchema,
      create(ModelInferRequestSchema, {
        modelName: "simple",
        inputs: ["INPUT0", "INPUT1"].map((name) => ({
          name,
          datatype: "INT32",
          shape: [1n, 16n],
          contents: { intContents: sixteen },
        })),
      }),
    ),
    "mock triton gRPC",
  ),
  notes: (m) => [
    ratioNote(
      m,
      "mock triton gRPC",
      "bare @grpc/grpc-js server (same messages)",
      1.0,
      "Issue 4 gRPC ModelInfer goal",
    ),
  ],
};

/** FP32 elements of the 16 MiB tensor. */
const bigElements = (16 * 1024 * 1024) / 4;
const bigPath = "/v2/models/identity_fp32/infer";

function bigTensor(): Float32Array {
  const values = new Float32Array(bigElements);
  // Short decimals (x.125 steps), so the JSON form is not inflated by long fractions.
  for (let i = 0; i < bigElements; i++) values[i] = (i % 4096) / 8;
  return values;
}

const kserveTensor16: ScenarioSpec = {
  title: `A 16 MiB FP32 tensor ([1, ${bigElements}]) round trip through Triton's identity_fp32: JSON, the binary tensor extension and gRPC raw_input_contents, vs bare servers answering the same bytes`,
  load: () =>
    "one request at a time on one connection (a raw node:net keep-alive HTTP/1.1 client reading each answer into one reused buffer; grpc-js for gRPC)",
  contestants: async () => {
    const values = bigTensor();
    const raw = new Uint8Array(values.buffer);
    const shape = [1, bigElements];
    const jsonBody = JSON.stringify({
      inputs: [{ name: "INPUT0", shape, datatype: "FP32", data: Array.from(values) }],
    });
    const header = JSON.stringify({
      inputs: [
        { name: "INPUT0", shape, datatype: "FP32", parameters: { binary_data_size: raw.length } },
      ],
      outputs: [{ name: "OUTPUT0", parameters: { binary_data: true } }],
    });
    const binaryBody = Buffer.concat([Buffer.from(header), raw]);
    // kserve-v2.md: the binary extension's JSON header length travels in this header.
    const binaryHeaders = {
      "content-type": "application/octet-stream",
      "inference-header-content-length": String(Buffer.byteLength(header)),
    };
    const binaryAnswer = await captureHttp(triton, {
      path: bigPath,
      headers: binaryHeaders,
      body: binaryBody,
    });
    const grpcRequest = toBinary(
      ModelInferRequestSchema,
      create(ModelInferRequestSchema, {
        modelName: "identity_fp32",
        inputs: [{ name: "INPUT0", datatype: "FP32", shape: shape.map(BigInt) }],
        rawInputContents: [raw],
      }),
    );
    const grpcAnswer = await captureGrpc(triton, {
      path: modelInferPath,
      request: grpcRequest,
      streaming: false,
    });
    const sequential =
      (headers: Record<string, string>, body: string | Buffer): Contestant["driver"] =>
      (server) =>
        createSequentialHttpDriver({
          call: { url: `${server.address}${bigPath}`, headers, body },
        });
    const grpcDriver: Contestant["driver"] = (server) =>
      createGrpcUnaryDriver({
        address: server.address,
        path: modelInferPath,
        request: grpcRequest,
        inFlight: 1,
      });
    const answerHeaders: Record<string, string> = {};
    for (const name of ["content-type", "inference-header-content-length"]) {
      const value = binaryAnswer.headers[name];
      if (value !== undefined) answerHeaders[name] = value;
    }
    return [
      {
        server: {
          kind: "canned-http",
          path: bigPath,
          status: binaryAnswer.status,
          headers: answerHeaders,
          body: binaryAnswer.body,
        },
        label: "bare fastify route (same binary bytes)",
        role: "baseline",
        driver: sequential(binaryHeaders, binaryBody),
      },
      {
        server: {
          kind: "canned-grpc",
          path: modelInferPath,
          messages: grpcAnswer,
          streaming: false,
        },
        label: "bare @grpc/grpc-js server (same message)",
        role: "baseline",
        driver: grpcDriver,
      },
      {
        server: triton,
        label: "mock triton REST JSON",
        role: "mock",
        driver: sequential(json, jsonBody),
        against: ["bare fastify route (same binary bytes)"],
      },
      {
        server: triton,
        label: "mock triton REST binary",
        role: "mock",
        driver: sequential(binaryHeaders, binaryBody),
        against: ["bare fastify route (same binary bytes)"],
      },
      {
        server: { ...triton, protocol: "grpc" },
        label: "mock triton gRPC raw",
        role: "mock",
        driver: grpcDriver,
        against: ["bare @grpc/grpc-js server (same message)"],
      },
    ];
  },
  notes: (measurements) => {
    const bytes = 2 * bigElements * 4; // both directions, as toolchain.md counts
    const gbps = (m: Measurement | undefined) =>
      m && m.p50 > 0 ? bytes / (m.p50 / 1000) / 1e9 : 0;
    const jsonRow = row(measurements, "mock triton REST JSON");
    const binaryRow = row(measurements, "mock triton REST binary");
    const grpcRow = row(measurements, "mock triton gRPC raw");
    const speedup = jsonRow && binaryRow && binaryRow.p50 > 0 ? jsonRow.p50 / binaryRow.p50 : 0;
    return [
      `Round trip at p50 (both directions counted, 2 x 16 MiB): JSON ${gbps(jsonRow).toFixed(3)} GB/s, binary ${gbps(binaryRow).toFixed(2)} GB/s, gRPC raw ${gbps(grpcRow).toFixed(2)} GB/s.`,
      `Issue 4 goal, binary at least 10x faster than JSON: ${speedup.toFixed(1)}x: ${speedup >= 10 ? "met" : "NOT met"}.`,
      `Issue 4 goal, binary at least 1 GB/s on loopback: ${gbps(binaryRow).toFixed(2)} GB/s: ${gbps(binaryRow) >= 1 ? "met" : "NOT met"}.`,
    ];
  },
};

// --- TGIS (issue 6) ---

const tgis: RuntimeMockSpec = { kind: "runtime-mock", runtime: "tgis", protocol: "grpc" };
/** Tokens per TGIS stream: one message announces the input, then one per token. */
const tgisStreamTokens = 64;

const tgisGenerate: ScenarioSpec = {
  title: `fmaas.GenerationService/Generate (one request, max_new_tokens ${completionTokens}, greedy): the TGIS mock vs a plain @grpc/grpc-js server answering the same message`,
  load: grpcLoad,
  contestants: grpcContestants(
    tgis,
    pathOf(GenerationService.method.generate),
    toBinary(
      BatchedGenerationRequestSchema,
      create(BatchedGenerationRequestSchema, {
        modelId: "servingkit-mock",
        requests: [{ text: "Say this is a test" }],
        params: { stopping: { maxNewTokens: completionTokens } },
      }),
    ),
    "mock tgis",
  ),
  notes: (m) => {
    const ratio =
      (row(m, "mock tgis")?.rps ?? 0) /
      (row(m, "bare @grpc/grpc-js server (same messages)")?.rps ?? 1);
    return [`Issue 6 Generate: ${ratio.toFixed(2)}x of plain grpc-js (the issue sets no number).`];
  },
};

const tgisGenerateStream: ScenarioSpec = {
  title: `fmaas.GenerationService/GenerateStream (max_new_tokens ${tgisStreamTokens}, greedy, no pacing): the TGIS mock vs a plain @grpc/grpc-js server writing the same messages; a stream is 1 + ${tgisStreamTokens} messages; latency is each whole stream's`,
  unit: "messages/s",
  latency: "stream",
  load: (settings) => `@grpc/grpc-js client, ${settings.inFlight} streams open`,
  contestants: grpcContestants(
    tgis,
    pathOf(GenerationService.method.generateStream),
    toBinary(
      SingleGenerationRequestSchema,
      create(SingleGenerationRequestSchema, {
        modelId: "servingkit-mock",
        request: { text: "Say this is a test" },
        params: { stopping: { maxNewTokens: tgisStreamTokens, minNewTokens: tgisStreamTokens } },
      }),
    ),
    "mock tgis",
    {},
    true,
  ),
  notes: (m) => {
    const tokens = (label: string) =>
      ((row(m, label)?.rps ?? 0) * tgisStreamTokens) / (tgisStreamTokens + 1);
    const mock = tokens("mock tgis");
    const bare = tokens("bare @grpc/grpc-js server (same messages)");
    return [
      `Issue 6 GenerateStream: mock ${Math.round(mock).toLocaleString("en-US")} tokens/s vs plain grpc-js ${Math.round(bare).toLocaleString("en-US")} tokens/s (${(bare > 0 ? mock / bare : 0).toFixed(2)}x; the issue sets no number).`,
    ];
  },
};

// --- Caikit Standalone embeddings (issue 5) ---

const caikit: RuntimeMockSpec = {
  kind: "runtime-mock",
  runtime: "caikit-standalone",
  protocol: "http",
};
/** The Caikit Standalone mock's default model id (packages/caikit README). */
const embeddingModel = "all-MiniLM-L12-v2-caikit";

const caikitEmbeddingRest: ScenarioSpec = {
  title:
    "POST /api/v1/task/embedding (one sentence): the Caikit Standalone mock vs a bare fastify route answering the same JSON",
  load: restLoad,
  contestants: restContestants(
    caikit,
    "/api/v1/task/embedding",
    JSON.stringify({
      model_id: embeddingModel,
      inputs: "The quick brown fox jumps over the lazy dog.",
    }),
    "mock caikit-standalone",
  ),
  notes: (m) => [
    `Issue 5 REST embeddings: ${((row(m, "mock caikit-standalone")?.rps ?? 0) / (row(m, "bare fastify route (same JSON)")?.rps ?? 1)).toFixed(2)}x of bare fastify (the issue sets no number).`,
  ],
};

const caikitEmbeddingGrpc: ScenarioSpec = {
  title:
    "caikit.runtime.Nlp.NlpService/EmbeddingTaskPredict (one sentence, mm-model-id metadata): the Caikit Standalone mock vs a plain @grpc/grpc-js server answering the same message",
  load: grpcLoad,
  contestants: grpcContestants(
    caikit,
    pathOf(NlpService.method.embeddingTaskPredict),
    toBinary(
      EmbeddingTaskRequestSchema,
      create(EmbeddingTaskRequestSchema, { text: "The quick brown fox jumps over the lazy dog." }),
    ),
    "mock caikit-standalone gRPC",
    { "mm-model-id": embeddingModel },
  ),
  notes: (m) => [
    `Issue 5 gRPC embeddings: ${((row(m, "mock caikit-standalone gRPC")?.rps ?? 0) / (row(m, "bare @grpc/grpc-js server (same messages)")?.rps ?? 1)).toFixed(2)}x of plain grpc-js (the issue sets no number).`,
  ],
};

/** The runtime scenarios by name, in the order `--scenario all` runs them. */
export const runtimeScenarios = {
  "vllm-completions": vllmCompletions,
  "vllm-streams": vllmStreams,
  "kserve-infer-rest": kserveInferRest,
  "kserve-infer-grpc": kserveInferGrpc,
  "kserve-infer-16mib": kserveTensor16,
  "tgis-generate": tgisGenerate,
  "tgis-generate-stream": tgisGenerateStream,
  "caikit-embedding-rest": caikitEmbeddingRest,
  "caikit-embedding-grpc": caikitEmbeddingGrpc,
} as const satisfies Readonly<Record<string, ScenarioSpec>>;
