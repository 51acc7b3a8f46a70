/**
 * msw handlers for vLLM's OpenAI-compatible server: the routes of `@servingkit/vllm/mock` (the
 * same route table its fastify mock serves: chat and text completions with SSE streaming,
 * embeddings, tokenize, models, metrics, vLLM's own routes the `openai` SDK lacks (`/score`,
 * `/v1/score`, `/rerank`, `/v1/rerank`, `/v2/rerank`, `/classify` from 0.9.0, `/pooling` from
 * 0.6.6, `/v1/chat/completions/batch` from 0.19.0, `/load`, `/ping`), vLLM's own `--api-key`),
 * the runtime's health routes and its 404/405 answers and error envelopes. `@servingkit/vllm`'s
 * `createVllmClient` calls them through the global `fetch` msw patches.
 */
import {
  type Clock,
  type Readiness,
  type RuntimeOptionValues,
  realClock,
  runtimePlugin,
} from "@servingkit/mock-core";
import { vllmRestSurface } from "@servingkit/vllm/mock";
import type { RequestHandler } from "msw";
import { routeTableHandler } from "./route-table-handler.js";

/** Options of {@link vllmHandlers}. */
export interface VllmHandlersOptions {
  /** Where it answers, e.g. `http://vllm.test` (the OpenAI SDK's `baseURL` is this plus `/v1`). */
  readonly baseUrl: string;
  /**
   * The vLLM module's option values, as `servingkit mock vllm --<name> <value>` takes them, e.g.
   * `{ "served-model-name": "granite", "vllm-version": "0.11.0", "api-key": "secret" }`.
   */
  readonly values?: RuntimeOptionValues;
  /** `--model` values (a model directory or id); default the bundled model. */
  readonly models?: readonly string[];
  /** Environment variables vLLM reads (e.g. `VLLM_API_KEY`); default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The clock for timestamps, metrics and token timing; default the real clock. */
  readonly clock?: Clock;
  /** Readiness `/health` follows; default always ready. */
  readonly readiness?: Readiness;
  /** Largest accepted request body in bytes; default mock-core's (64 MiB). */
  readonly bodyLimit?: number;
}

/**
 * The msw handlers of a vLLM server. Async: the model's tokenizer and chat template load from disk.
 *
 * @example
 * const server = setupServer(...(await vllmHandlers({ baseUrl: "http://vllm.test" })));
 */
export async function vllmHandlers(options: VllmHandlersOptions): Promise<RequestHandler[]> {
  const surface = await vllmRestSurface(
    { models: options.models ?? [], values: options.values ?? {} },
    options.clock ?? realClock,
    options.env,
  );
  return [
    routeTableHandler({
      baseUrl: options.baseUrl,
      tables: [surface.healthTable(options.readiness), ...surface.tables],
      plugins: [runtimePlugin("vllm"), surface.plugin],
      ...(options.bodyLimit === undefined ? {} : { bodyLimit: options.bodyLimit }),
    }),
  ];
}
