import { describe, expect, it } from "vitest";
import { startVllm } from "./test-server.js";

/** Posts a Responses request with a JSON schema text format; returns the echoed format's keys. */
async function echoedFormatKeys(url: string): Promise<string[]> {
  const answer = await fetch(`${url}/v1/responses`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      model: "granite",
      input: "Hi",
      max_output_tokens: 1,
      text: { format: { type: "json_schema", name: "w", schema: { type: "object" } } },
    }),
  });
  expect(answer.status).toBe(200);
  const body = (await answer.json()) as { text: { format: Record<string, unknown> } };
  return Object.keys(body.text.format);
}

describe("--vllm-version after 0.18 on the wire", () => {
  // vLLM's /version answers the installed release (api_server.py show_version: {"version":
  // VLLM_VERSION}); the mock answers the one it was started as.
  it("reports 0.19.0, 0.20.0 and 0.21.0 from /version", async () => {
    for (const version of ["0.19.0", "0.20.0", "0.21.0"]) {
      const server = await startVllm({ "vllm-version": version, "served-model-name": "granite" });
      try {
        const answer = await fetch(`${server.url}/version`);
        expect(await answer.json()).toEqual({ version });
      } finally {
        await server.close();
      }
    }
  });

  // vllm PR #38519 (responses/api_router.py dumps with by_alias=True), first released in v0.20.0
  // (its release notes' new contributors list): `schema` there, `schema_` on 0.19.0.
  it("echoes the text format's schema as schema_ on 0.19.0 and schema on 0.20.0", async () => {
    const old = await startVllm({ "vllm-version": "0.19.0", "served-model-name": "granite" });
    try {
      const keys = await echoedFormatKeys(old.url);
      expect(keys).toContain("schema_");
      expect(keys).not.toContain("schema");
    } finally {
      await old.close();
    }
    const next = await startVllm({ "vllm-version": "0.20.0", "served-model-name": "granite" });
    try {
      const keys = await echoedFormatKeys(next.url);
      expect(keys).toContain("schema");
      expect(keys).not.toContain("schema_");
    } finally {
      await next.close();
    }
  });

  // vllm PR #38435 (v0.20.0 release notes): vllm:num_requests_waiting_by_reason, reasons
  // `capacity` and `deferred` summing to vllm:num_requests_waiting; absent on 0.19.0.
  it("exports vllm:num_requests_waiting_by_reason from 0.20.0", async () => {
    for (const [version, exported] of [
      ["0.19.0", false],
      ["0.20.0", true],
    ] as const) {
      const server = await startVllm({ "vllm-version": version, "served-model-name": "granite" });
      try {
        const text = await (await fetch(`${server.url}/metrics`)).text();
        expect(text.includes("vllm:num_requests_waiting_by_reason")).toBe(exported);
        expect(text).toMatch(/^vllm:num_requests_waiting\{engine="0",model_name="granite"\} 0/m);
        if (exported) {
          expect(text).toContain("# TYPE vllm:num_requests_waiting_by_reason gauge");
          expect(text).toMatch(
            /^vllm:num_requests_waiting_by_reason\{engine="0",model_name="granite",reason="capacity"\} 0/m,
          );
          expect(text).toMatch(
            /^vllm:num_requests_waiting_by_reason\{engine="0",model_name="granite",reason="deferred"\} 0/m,
          );
        }
      } finally {
        await server.close();
      }
    }
  });
});
