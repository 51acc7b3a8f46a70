import { describe, expect, it } from "vitest";
import { defaultVllmVersion } from "./profiles.js";
import { readVllmSettings } from "./settings.js";

describe("readVllmSettings", () => {
  it("has defaults", () => {
    const s = readVllmSettings({ models: [], values: {} }, {});
    expect(s).toMatchObject({
      model: undefined,
      version: defaultVllmVersion,
      apiKey: undefined,
      generationMode: "text",
      timeToFirstTokenMs: 0,
      interTokenMs: 0,
    });
  });

  // vllm-openai.md §2: --api-key or env VLLM_API_KEY; CLI wins over env.
  it("reads the API key from the flag, else VLLM_API_KEY", () => {
    expect(readVllmSettings({ models: [], values: {} }, { VLLM_API_KEY: "env" }).apiKey).toBe(
      "env",
    );
    expect(
      readVllmSettings({ models: [], values: { "api-key": "cli" } }, { VLLM_API_KEY: "env" })
        .apiKey,
    ).toBe("cli");
  });

  it("takes the first --model as vLLM's --model", () => {
    expect(readVllmSettings({ models: ["/m", "/n"], values: {} }, {}).model).toBe("/m");
  });

  it("rejects unusable values with the option's name", () => {
    const read = (values: Record<string, string>) => () =>
      readVllmSettings({ models: [], values }, {});
    expect(read({ "generation-mode": "poetry" })).toThrow(/--generation-mode/);
    expect(read({ "max-model-len": "-3" })).toThrow(/--max-model-len/);
    expect(read({ "max-model-len": "1.5" })).toThrow(/--max-model-len/);
    expect(read({ "inter-token-latency": "soon" })).toThrow(/--inter-token-latency/);
    expect(read({ "vllm-version": "newest" })).toThrow(/--vllm-version/);
  });
});

describe("--reasoning-parser", () => {
  const read = (values: Record<string, string | boolean>) =>
    readVllmSettings({ models: [], values }, {});

  it("runs the named parser", () => {
    const s = read({ "reasoning-parser": "qwen3" });
    expect(s.reasoningParser?.name).toBe("qwen3");
    expect(read({}).reasoningParser).toBeUndefined();
  });

  // vllm api_server.py validate_api_server_args: KeyError at start-up.
  it("refuses an unknown parser with vLLM's start-up text", () => {
    expect(() => read({ "reasoning-parser": "r1" })).toThrow(
      "invalid reasoning parser: r1 (chose from { deepseek_r1,granite,qwen3 })",
    );
    // v0.7.1 (vLLM PR #12473) brought the flag; before, argparse does not know it.
    expect(() => read({ "reasoning-parser": "deepseek_r1", "vllm-version": "0.6.6" })).toThrow(
      "unrecognized arguments: --reasoning-parser",
    );
  });

  // docs v0.7.3 / v0.8.3 reasoning_outputs.md: "you need to specify the --enable-reasoning and
  // --reasoning-parser flags"; cli_args.py: "Error: --enable-reasoning requires --reasoning-parser".
  it("needs --enable-reasoning before 0.9", () => {
    expect(
      read({ "reasoning-parser": "deepseek_r1", "vllm-version": "0.8.3" }).reasoningParser,
    ).toBe(undefined);
    const both = read({
      "reasoning-parser": "deepseek_r1",
      "enable-reasoning": true,
      "vllm-version": "0.8.3",
    });
    expect(both.reasoningParser?.name).toBe("deepseek_r1");
    expect(() => read({ "enable-reasoning": true, "vllm-version": "0.7.3" })).toThrow(
      "Error: --enable-reasoning requires --reasoning-parser",
    );
  });

  // vLLM PR #17452: deprecated from 0.9.0 (the parser alone enables reasoning); 0.10.0 answers
  // "unrecognized arguments: --enable-reasoning" (vllm issue #18538).
  it("takes the parser alone from 0.9 and refuses --enable-reasoning from 0.10", () => {
    expect(
      read({ "reasoning-parser": "deepseek_r1", "vllm-version": "0.9.2" }).reasoningParser,
    ).toBeDefined();
    expect(
      read({ "reasoning-parser": "deepseek_r1", "enable-reasoning": true, "vllm-version": "0.9.2" })
        .reasoningParser,
    ).toBeDefined();
    expect(() =>
      read({
        "reasoning-parser": "deepseek_r1",
        "enable-reasoning": true,
        "vllm-version": "0.10.0",
      }),
    ).toThrow("unrecognized arguments: --enable-reasoning");
  });

  // reasoning_content (PR #12473), both from ≈0.11.1 (PR #27752, merged 2025-11-08), reasoning
  // alone from ≈0.16 (PR #33402, Jan 2026).
  it("names the reasoning field by release", () => {
    const fields = (version: string) => read({ "vllm-version": version }).profile.reasoningFields;
    expect(fields("0.8.5")).toBe("reasoning_content");
    expect(fields("0.11.0")).toBe("reasoning_content");
    expect(fields("0.11.1")).toBe("both");
    expect(fields("0.15.1")).toBe("both");
    expect(fields("0.16.0")).toBe("reasoning");
  });
});

describe("--task, --runner and --convert", () => {
  const read = (values: Record<string, string>) => readVllmSettings({ models: [], values }, {});

  // vLLM PR #21470 brought --runner and --convert in 0.10.1 (docs v0.10.0 pooling_models still
  // list --task only); before, argparse does not know them.
  it("are argparse's unknown flags before 0.10.1", () => {
    expect(() => read({ runner: "pooling", "vllm-version": "0.10.0" })).toThrow(
      "unrecognized arguments: --runner",
    );
    expect(() => read({ convert: "embed", "vllm-version": "0.9.2" })).toThrow(
      "unrecognized arguments: --convert",
    );
  });

  // docs v0.10.1.1 models/pooling_models "Model Conversion": --convert embed|classify.
  it("reads --runner pooling --convert classify as the classify task", () => {
    const s = read({ runner: "pooling", convert: "classify", "vllm-version": "0.11.0" });
    expect([s.task, s.runner, s.taskFlag]).toEqual(["classify", "pooling", false]);
    const embed = read({ runner: "pooling", convert: "embed", "vllm-version": "0.18.0" });
    expect(embed.task).toBe("embed");
    expect(read({ runner: "pooling" }).task).toBe("generate");
  });

  // vLLM issue #42480 (fixed by PR #42935, 2026-05-18, after 0.18.0): --convert without
  // --runner pooling keeps the generate runner on a causal model and start-up fails.
  it("refuses --convert embed without --runner pooling", () => {
    expect(() => read({ convert: "embed", "vllm-version": "0.18.0" })).toThrow(/issue #42480/);
    expect(() => read({ runner: "pooling", convert: "reward" })).toThrow(
      "argument --convert: invalid choice: 'reward'",
    );
    expect(() => read({ runner: "both" })).toThrow("argument --runner: invalid choice: 'both'");
  });

  // docs v0.9.1 / v0.10.0 pooling_models: --task classify (as_seq_cls_model for a causal model).
  it("reads --task classify and marks --task as given", () => {
    const s = read({ task: "classify", "vllm-version": "0.9.0" });
    expect([s.task, s.taskFlag, s.runner]).toEqual(["classify", true, "auto"]);
    expect(() => read({ task: "reward" })).toThrow(/--task: 'reward'/);
  });

  // gpustack issue #3991, vllm-plugin-FL issue #127: "unrecognized arguments: --task embed" on
  // vLLM 0.13.0 (the 0.10.1-0.12.x deprecation named v0.13.0, vllm/config/model.py).
  it("refuses --task from 0.13.0 as argparse does", () => {
    expect(() => read({ task: "embed", "vllm-version": "0.13.0" })).toThrow(
      "unrecognized arguments: --task embed",
    );
    expect(() => read({ task: "score", "vllm-version": "0.20.0" })).toThrow(
      "unrecognized arguments: --task score",
    );
    expect(read({ task: "embed", "vllm-version": "0.12.0" }).task).toBe("embed");
  });

  // vllm/config/model.py __post_init__ (0.10.1+): a deprecated generative --task sets the
  // generate runner, whatever --runner says; before 0.10.1 there is no runner to set.
  it("reads --task generate as the generate runner from 0.10.1", () => {
    expect(read({ task: "generate", "vllm-version": "0.11.0" }).runner).toBe("generate");
    expect(read({ task: "generate", runner: "pooling", "vllm-version": "0.12.0" }).runner).toBe(
      "generate",
    );
    expect(read({ task: "generate", "vllm-version": "0.10.0" }).runner).toBe("auto");
  });
});
