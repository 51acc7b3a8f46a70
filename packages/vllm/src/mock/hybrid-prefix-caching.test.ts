/**
 * Prefix caching of a hybrid (Mamba) model through the running vLLM mock on a simulated GPU:
 * opt-in with --enable-prefix-caching from vLLM 0.15.0, in the mamba_cache_mode vLLM picks, and
 * the hits in /metrics (issue 7).
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequestLogger, ManualClock } from "@servingkit/mock-core";
import { afterEach, describe, expect, it } from "vitest";
import { startVllm, type TestServer } from "./test-server.js";

/**
 * ibm-granite/granite-4.0-h-small config.json, the fields the simulation reads: 40 layers, 36
 * Mamba-2 and 4 attention, mamba_chunk_size 256.
 */
const granite4HSmallConfig = {
  architectures: ["GraniteMoeHybridForCausalLM"],
  hidden_act: "silu",
  hidden_size: 4096,
  intermediate_size: 768,
  layer_types: Array.from({ length: 40 }, (_, i) => (i % 10 === 5 ? "attention" : "mamba")),
  mamba_chunk_size: 256,
  mamba_conv_bias: true,
  mamba_d_conv: 4,
  mamba_d_head: 64,
  mamba_d_state: 128,
  mamba_expand: 2,
  mamba_n_groups: 1,
  mamba_n_heads: 128,
  max_position_embeddings: 131_072,
  model_type: "granitemoehybrid",
  num_attention_heads: 32,
  num_experts_per_tok: 10,
  num_hidden_layers: 40,
  num_key_value_heads: 8,
  num_local_experts: 72,
  shared_intermediate_size: 1536,
  tie_word_embeddings: true,
  torch_dtype: "bfloat16",
  vocab_size: 100_352,
};

const dir = mkdtempSync(join(tmpdir(), "servingkit-hybrid-prefix-"));
const configPath = join(dir, "config.json");
writeFileSync(configPath, JSON.stringify(granite4HSmallConfig));

/** A prompt of distinct words, long enough to span several 768-token blocks. */
const prompt = Array.from({ length: 1400 }, (_, i) => `w${i}`).join(" ");

function sample(text: string, name: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(name));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
}

/** Moves the clock 1 ms at a time, letting sockets deliver in between, until `work` settles. */
async function drive<T>(clock: ManualClock, work: Promise<T>, limitMs = 60_000): Promise<T> {
  let done = false;
  const settle = () => {
    done = true;
  };
  void work.then(settle, settle);
  for (let t = 0; t < limitMs && !done; t++) {
    await new Promise((resolve) => setTimeout(resolve, 1));
    await clock.advance(1);
  }
  return work;
}

interface Started {
  readonly server: TestServer;
  readonly clock: ManualClock;
  /** The log's messages so far. */
  readonly messages: () => string[];
}

async function start(values: Record<string, string | boolean>): Promise<Started> {
  const clock = new ManualClock();
  const lines: string[] = [];
  const logger = createRequestLogger("info", { write: (line: string) => lines.push(line) });
  const server = await startVllm(
    {
      "served-model-name": "m",
      gpu: "h100-80gb",
      "model-config": configPath,
      "max-model-len": "8192",
      ...values,
    },
    [],
    { clock, logger },
  );
  const messages = () => lines.map((line) => (JSON.parse(line) as { msg?: string }).msg ?? "");
  return { server, clock, messages };
}

/** Sends the same prompt twice, one after the other; answers prompt tokens and /metrics. */
async function twice({ server, clock }: Started): Promise<{ tokens: number; metrics: string }> {
  let tokens = 0;
  for (let i = 0; i < 2; i++) {
    const response = await drive(
      clock,
      fetch(`${server.url}/v1/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "m", prompt, max_tokens: 1, seed: i }),
      }),
    );
    expect(response.status).toBe(200);
    const body = (await response.json()) as { usage: { prompt_tokens: number } };
    tokens = body.usage.prompt_tokens;
  }
  return { tokens, metrics: await (await fetch(`${server.url}/metrics`)).text() };
}

const l = '{engine="0",model_name="m"}';

describe("granite-4.0-h-small on a simulated H100: prefix caching of a hybrid over HTTP", () => {
  let running: Started | undefined;
  afterEach(async () => {
    await running?.server.close();
    running = undefined;
  });

  it("0.15.0 with --enable-prefix-caching: mode all, a state at each 768-token block, hits", async () => {
    running = await start({ "vllm-version": "0.15.0", "enable-prefix-caching": true });
    // vllm/model_executor/models/config.py MambaModelConfig: GraniteMoeHybridForCausalLM declares
    // SupportsMambaPrefixCaching, so a mode left at none becomes "all", with these lines;
    // platforms/interface.py: the block is lcm(mamba_chunk_size 256, 16) × ceil(525 / 256) = 768.
    expect(running.messages()).toContain(
      "Mamba cache mode is set to 'all' for GraniteMoeHybridForCausalLM by default when prefix caching is enabled",
    );
    expect(running.messages()).toContain(
      "Warning: Prefix caching in Mamba cache 'all' mode is currently enabled. Its support for Mamba layers is experimental. Please report any issues you may observe.",
    );
    expect(running.messages()).toContain(
      "Setting attention block size to 768 tokens to ensure that attention page size is >= mamba page size.",
    );
    expect(
      running.messages().some((m) => m.startsWith("Hybrid or mamba-based model detected")),
    ).toBe(false);
    const { tokens, metrics } = await twice(running);
    expect(tokens).toBeGreaterThan(1536);
    // The second request hits every whole block before its last token (the cache keeps one
    // token to compute: kv_cache_manager.py max_cache_hit_length = num_tokens - 1).
    expect(sample(metrics, `vllm:prefix_cache_queries_total${l}`)).toBe(2 * tokens);
    expect(sample(metrics, `vllm:prefix_cache_hits_total${l}`)).toBe(
      Math.floor((tokens - 1) / 768) * 768,
    );
    expect(metrics).toMatch(
      /^vllm:cache_config_info\{block_size="768",.*enable_prefix_caching="True"/m,
    );
  });

  it("0.15.0 with --mamba-cache-mode align: 528-token blocks, the chunk's last block state hits", async () => {
    running = await start({
      "vllm-version": "0.15.0",
      "enable-prefix-caching": true,
      "mamba-cache-mode": "align",
    });
    expect(running.messages()).toContain(
      "Warning: Prefix caching in Mamba cache 'align' mode is currently enabled. Its support for Mamba layers is experimental. Please report any issues you may observe.",
    );
    const { tokens, metrics } = await twice(running);
    // scheduler.py _mamba_block_aligned_split: the one prefill chunk ends on the last 528-token
    // boundary, whose state is kept; the second request hits up to it.
    expect(sample(metrics, `vllm:prefix_cache_hits_total${l}`)).toBe(
      Math.floor(tokens / 528) * 528,
    );
  });

  it("no hits without the flag, nor before 0.11.1 (the disabling line)", async () => {
    // vllm/engine/arg_utils.py: prefix caching is opt-in for hybrids.
    running = await start({ "vllm-version": "0.15.0" });
    expect((await twice(running)).metrics).toContain(`vllm:prefix_cache_hits_total${l} 0.0`);
    await running.server.close();
    // 0.11.1 to 0.14.x (PR #25752, before PR #30877's modes): a Mamba2 hybrid caches when asked,
    // with the experimental line that names no mode.
    running = await start({ "vllm-version": "0.14.1", "enable-prefix-caching": true });
    expect(running.messages()).toContain(
      "Warning: Prefix caching is currently enabled. Its support for Mamba layers is experimental. Please report any issues you may observe.",
    );
    expect((await twice(running)).metrics).not.toContain(`vllm:prefix_cache_hits_total${l} 0.0`);
    await running.server.close();
    // Before PR #25752 (0.11.0) MambaModelConfig turns prefix caching off for every hybrid.
    running = await start({ "vllm-version": "0.11.0", "enable-prefix-caching": true });
    expect(running.messages()).toContain(
      "Hybrid or mamba-based model detected: disabling prefix caching since it is not yet supported.",
    );
    expect((await twice(running)).metrics).toContain(`vllm:prefix_cache_hits_total${l} 0.0`);
  });

  it("refuses --mamba-cache-mode before 0.15.0 as argparse does", async () => {
    await expect(start({ "vllm-version": "0.14.1", "mamba-cache-mode": "align" })).rejects.toThrow(
      "unrecognized arguments: --mamba-cache-mode",
    );
  });
});
