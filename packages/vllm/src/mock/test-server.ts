/**
 * Test helper: starts the vLLM mock on 127.0.0.1 with an ephemeral port through mock-core's
 * `startMock` and the module's own plugins (the way `@servingkit/mocks` composes it, without
 * depending on that package, which depends on this one).
 */

import { cp, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Clock, MockOptions, RuntimeOptionValues } from "@servingkit/mock-core";
import { defaultModelDir, ManualClock, type RunningMock, startMock } from "@servingkit/mock-core";
import OpenAI from "openai";
import { vllmMockModule } from "../mock.js";

/** A running vLLM mock and its base URL. */
export interface TestServer {
  readonly mock: RunningMock;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  close(): Promise<void>;
}

/** Starts the mock with module option values, `--model` values and host options. */
export async function startVllm(
  values: RuntimeOptionValues = {},
  models: readonly string[] = [],
  host: Partial<MockOptions> = {},
): Promise<TestServer> {
  const plugins = await vllmMockModule.plugins({ runtime: "vllm", models, values });
  const mock = await startMock({
    runtime: "vllm",
    host: "127.0.0.1",
    httpPort: 0,
    logger: false,
    models,
    plugins,
    ...host,
  });
  const url = mock.endpoints.http ?? "";
  return { mock, url, close: () => mock.close() };
}

/** The official `openai` SDK pointed at a test server's `/v1`, without retries. */
export function openaiClient(server: Pick<TestServer, "url">, apiKey = "unused"): OpenAI {
  return new OpenAI({ baseURL: `${server.url}/v1`, apiKey, maxRetries: 0 });
}

/**
 * A model directory (the built-in model's files) whose chat template reads `enable_thinking` as
 * Qwen3's tokenizer_config.json does: false closes an empty think block in the generation
 * prompt. For `chat_template_kwargs` tests; the caller removes the directory.
 */
export async function thinkingSwitchModelDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "vllm-thinking-switch-"));
  await cp(defaultModelDir, dir, { recursive: true });
  const path = join(dir, "tokenizer_config.json");
  const config = JSON.parse(await readFile(path, "utf8"));
  config.chat_template =
    "{% for m in messages %}<|{{ m.role }}|>{{ m.content }}\n{% endfor %}" +
    "{% if add_generation_prompt %}<|assistant|>" +
    "{% if enable_thinking is defined and enable_thinking is false %}<think>\n\n</think>\n\n{% endif %}" +
    "{% endif %}";
  await writeFile(path, JSON.stringify(config));
  return dir;
}

/** POSTs `body` as JSON to `url`: the status and the parsed JSON answer. */
export async function postJson(url: string, body: unknown) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

/**
 * A manual clock whose sleeps end on the next whole 50 ms (a coarse timer): a stream paced 20 ms
 * apart wakes late, and the tokens that came due meanwhile are waiting for it. Advance it through
 * `manual`.
 */
export class CoarseClock implements Clock {
  readonly manual = new ManualClock();
  now(): number {
    return this.manual.now();
  }
  #late(ms: number): number {
    const now = this.manual.now();
    return Math.ceil((now + Math.max(ms, 1)) / 50) * 50 - now;
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return this.manual.sleep(this.#late(ms), signal);
  }
  after(ms: number, onWake: () => void, onAbort: (reason: unknown) => void, signal?: AbortSignal) {
    return this.manual.after(this.#late(ms), onWake, onAbort, signal);
  }
}
