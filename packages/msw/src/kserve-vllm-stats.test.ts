/**
 * Triton LLM behaviours through msw's kserveHandlers (the kserve mock's own route
 * table, no sockets): statistics of decoupled requests (extension_statistics.md response_stats;
 * core infer_stats.cc), structured-output choices (vllm_backend_utils.py from_dict) and NaN in
 * generate's JSON (common triton_json.h Write with rapidjson's kWriteNanAndInfFlag).
 */
import { setupServer } from "msw/node";
import { afterAll, beforeAll, expect, it } from "vitest";
import { kserveHandlers } from "./kserve-handlers.js";

const baseUrl = "http://triton-vllm-stats.test";
const server = setupServer(
  ...kserveHandlers({ runtime: "triton", baseUrl, models: ["vllm_model"] }),
);
beforeAll(() => server.listen({ onUnhandledFrame: "bypass" }));
afterAll(() => server.close());

const post = (route: string, body: unknown) =>
  fetch(`${baseUrl}/v2/models/vllm_model/${route}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

type Durations = Record<string, { count: number; ns: number }>;
const stats = async () =>
  (
    (await (await fetch(`${baseUrl}/v2/models/vllm_model/stats`)).json()) as {
      model_stats: {
        inference_count: number;
        execution_count: number;
        response_stats: Record<string, Durations>;
      }[];
    }
  ).model_stats[0];

it("response_stats: one success at each index a generate_stream request sent, counts once per request", async () => {
  const before = await stats();
  const res = await post("generate_stream", {
    text_input: "Hello",
    stream: true,
    parameters: { max_tokens: 4, temperature: 0, ignore_eos: true },
  });
  const events = (await res.text()).split("\n\n").filter((e) => e !== "").length;
  expect(events).toBe(4);
  const after = await stats();
  expect((after?.inference_count ?? 0) - (before?.inference_count ?? 0)).toBe(1);
  expect((after?.execution_count ?? 0) - (before?.execution_count ?? 0)).toBe(1);
  for (const key of ["0", "1", "2", "3"]) {
    const was = before?.response_stats[key]?.success?.count ?? 0;
    expect(after?.response_stats[key]?.success?.count, key).toBe(was + 1);
    expect(Object.keys(after?.response_stats[key] ?? {})).toEqual([
      "compute_infer",
      "compute_output",
      "success",
      "fail",
      "empty_response",
      "cancel",
    ]);
  }
});

it("a structured_outputs choice is the text; cumulative_logprob without logprobs is the bare word NaN", async () => {
  const res = await post("generate", {
    text_input: "Pick",
    stream: false,
    exclude_input_in_output: true,
    return_cumulative_logprob: true,
    sampling_parameters: JSON.stringify({
      seed: 1,
      structured_outputs: JSON.stringify({ choice: ["red", "green"] }),
    }),
  });
  expect(res.status).toBe(200);
  expect(await res.text()).toBe(
    '{"cumulative_logprob":NaN,"model_name":"vllm_model","model_version":"1","text_output":"green"}',
  );
});
