/**
 * The vLLM sampling cases against the vLLM mock of several releases: the texts they pin are the
 * same from 0.10 to 0.18 (vllm/sampling_params.py `_verify_args`, protocol.py
 * `check_generation_prompt`).
 */
import { afterAll, describe, expect, it } from "vitest";
import { runContract } from "../run-contract.js";
import type { Target } from "../target.js";
import { closeAll, vllmMock } from "../testdata/vllm-servers.js";
import { vllmSamplingCases } from "./vllm-sampling.js";

afterAll(closeAll);

describe("vLLM sampling cases", () => {
  it.for(["0.10.0", "0.12.0", "0.14.0", "0.18.0"])(
    "pass against the mock of %s",
    async (version) => {
      const target: Target = {
        name: "t:vllm",
        group: "t",
        runtime: "vllm",
        rest: await vllmMock(version),
      };
      const report = await runContract({ targets: [target], cases: vllmSamplingCases });
      const got = Object.fromEntries(
        report.results.map((r) => [
          r.caseId,
          r.status === "fail" ? `fail: ${r.message}` : r.status,
        ]),
      );
      expect(got).toEqual({
        "vllm-sampling/penalty-ranges": "pass",
        "vllm-sampling/generation-prompt-conflict": "pass",
      });
    },
  );
});
