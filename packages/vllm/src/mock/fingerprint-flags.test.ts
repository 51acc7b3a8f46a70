import { describe, expect, it } from "vitest";
import { openaiClient, startVllm } from "./test-server.js";

const chat = { model: "granite", messages: [{ role: "user" as const, content: "Hi" }] };

/** The `system_fingerprint` of a chat answer, of its stream's last chunk and of a completion. */
async function fingerprints(values: Record<string, string>) {
  const server = await startVllm({ "served-model-name": "granite", ...values });
  try {
    const client = openaiClient(server);
    const whole = await client.chat.completions.create({ ...chat, max_tokens: 2 });
    let last: string | null | undefined;
    const stream = await client.chat.completions.create({ ...chat, max_tokens: 2, stream: true });
    for await (const chunk of stream) last = chunk.system_fingerprint;
    const text = await client.completions.create({
      model: "granite",
      prompt: "Tell me",
      max_tokens: 2,
    });
    return [whole.system_fingerprint, last, text.system_fingerprint];
  } finally {
    await server.close();
  }
}

// vllm cli_args.py BaseFrontendArgs.fingerprint_mode / fingerprint_value and fingerprint.py
// (vllm PR #40537, 0.21.0): the plugin computes the fingerprint once in the mode asked and hands
// it to chat and completions, whole and streamed.
describe("--fingerprint-mode and --fingerprint-value", () => {
  it("stamps the default full fingerprint on chat, its stream's last chunk and completions", async () => {
    const [whole, streamed, text] = await fingerprints({ "vllm-version": "0.21.0" });
    expect(whole).toMatch(/^vllm-0\.21\.0-[0-9a-f]{8}$/);
    expect(streamed).toBe(whole);
    expect(text).toBe(whole);
  });

  it("strips the parallelism in mode hash (raw fetch)", async () => {
    const server = await startVllm({
      "vllm-version": "0.21.0",
      "served-model-name": "granite",
      gpu: "h100-80gb",
      "tensor-parallel-size": "2",
      "fingerprint-mode": "hash",
    });
    try {
      const answer = await fetch(`${server.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ ...chat, max_tokens: 1 }),
      });
      const body = (await answer.json()) as { system_fingerprint: unknown };
      expect(body.system_fingerprint).toMatch(/^vllm-0\.21\.0-[0-9a-f]{8}$/);
    } finally {
      await server.close();
    }
  });

  it("prints the custom value, and null in mode none or custom without a value", async () => {
    expect(
      await fingerprints({
        "vllm-version": "0.21.0",
        "fingerprint-mode": "custom",
        "fingerprint-value": "deploy-42",
      }),
    ).toEqual(["deploy-42", "deploy-42", "deploy-42"]);
    // The stream's chunks then carry no key (the SDK reads undefined); the answers carry null.
    expect(await fingerprints({ "vllm-version": "0.21.0", "fingerprint-mode": "none" })).toEqual([
      null,
      undefined,
      null,
    ]);
    expect(await fingerprints({ "vllm-version": "0.21.0", "fingerprint-mode": "custom" })).toEqual([
      null,
      undefined,
      null,
    ]);
  });

  // argparse: an unknown choice, and flags a release before PR #40537 does not know.
  it("refuses an unknown mode, and either flag before 0.21.0", async () => {
    await expect(
      startVllm({ "vllm-version": "0.21.0", "fingerprint-mode": "short" }),
    ).rejects.toThrow("argument --fingerprint-mode: invalid choice: 'short'");
    await expect(
      startVllm({ "vllm-version": "0.20.0", "fingerprint-mode": "hash" }),
    ).rejects.toThrow("unrecognized arguments: --fingerprint-mode hash");
  });
});
