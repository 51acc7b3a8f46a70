import { defaultModelSpec } from "@servingkit/mock-core/engine";
import { type RunningMock, startMock } from "@servingkit/mock-core/host";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { caikitMockModule } from "../mock.js";
import { type NlpClient, nlpClient, nlpUnary } from "./test-nlp-client.js";

describe("Caikit Standalone's local TextGeneration module (--text-generation-model)", () => {
  let mock: RunningMock;
  let nlp: NlpClient;
  beforeAll(async () => {
    const values = { "text-generation-model": ["local-gen"] };
    mock = await startMock({
      runtime: "caikit-standalone",
      host: "127.0.0.1",
      httpPort: 0,
      grpcPort: 0,
      plugins: await caikitMockModule.plugins({
        runtime: "caikit-standalone",
        models: [],
        values,
      }),
    });
    nlp = nlpClient(mock);
  });
  afterAll(async () => {
    nlp.close();
    await mock.close();
  });

  const post = (task: string, body: unknown) =>
    fetch(`${mock.endpoints.http}/api/v1/task/${task}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });

  it("keeps the prompt in the text by default and counts the whole sequence minus one", async () => {
    // caikit-tgis.md §1.3 (the local module's preserve_input_text defaults to true);
    // model_run_utils.py generate_text_func: token_count = generate_ids.size(1) - 1 (a causal
    // model's ids start with the prompt), finish reason MAX_TOKENS, the request seed echoed.
    const spec = await defaultModelSpec();
    const prompt = "Once upon a time";
    const inputCount = spec.tokenizer.encode(prompt).length;
    const response = await post("text-generation", {
      model_id: "local-gen",
      inputs: prompt,
      parameters: { max_new_tokens: 4, min_new_tokens: 4 },
    });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toMatch(
      /^\{"generated_text": ".*", "generated_tokens": \d+, "finish_reason": "MAX_TOKENS", "producer_id": \{"name": "Text Generation", "version": "0\.1\.0"\}, "input_token_count": \d+, "seed": null, "tokens": null, "input_tokens": null\}$/,
    );
    const body = JSON.parse(text);
    expect(
      body.generated_text.startsWith(
        spec.tokenizer.decode(spec.tokenizer.encode(prompt), { skipSpecialTokens: true }),
      ),
    ).toBe(true);
    expect(body.input_token_count).toBe(inputCount);
    expect(body.generated_tokens).toBe(inputCount + 4 - 1);
    const trimmed = await (
      await post("text-generation", {
        model_id: "local-gen",
        inputs: prompt,
        parameters: { max_new_tokens: 4, min_new_tokens: 4, preserve_input_text: false },
      })
    ).json();
    expect(body.generated_text.endsWith(trimmed.generated_text)).toBe(true);
    expect(trimmed.generated_text.length).toBeLessThan(body.generated_text.length);
  });

  it("keeps the first tokens when truncating and checks its parameters with its own texts", async () => {
    // model_run_utils.py: tokenizer(truncation=True, max_length=truncate_input_tokens) keeps the
    // first tokens; __process_gen_args value checks.
    const cut = await (
      await post("text-generation", {
        model_id: "local-gen",
        inputs: "one two three four five six seven",
        parameters: { truncate_input_tokens: 3, max_new_tokens: 1 },
      })
    ).json();
    expect(cut.input_token_count).toBe(3);
    const bad = await post("text-generation", {
      model_id: "local-gen",
      inputs: "x",
      parameters: { max_new_tokens: 1, min_new_tokens: 2 },
    });
    expect(bad.status).toBe(400);
    expect((await bad.json()).details).toBe(
      "value check failed: Max new tokens needs to be bigger than min new tokens",
    );
  });

  it("serves gRPC TextGenerationTaskPredict but not streaming (no streaming method)", async () => {
    const reply = await nlpUnary(
      nlp,
      "TextGenerationTaskPredict",
      { text: "Hi", max_new_tokens: 2, min_new_tokens: 2 },
      "local-gen",
    );
    expect(reply.finish_reason).toBe("MAX_TOKENS");
    // text_generation_local.py defines `run` only: no output-streaming signature.
    const stream = await post("server-streaming-text-generation", {
      model_id: "local-gen",
      inputs: "Hi",
    });
    expect(await stream.text()).toContain("'NoneType' object has no attribute 'method_name'");
  });
});
