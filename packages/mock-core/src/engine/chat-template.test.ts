import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { ChatTemplateError, noChatTemplateMessage, renderChatTemplate } from "./chat-template.js";
import { defaultModelSpec, loadModelDir, type ModelSpec } from "./model-spec.js";

const model = await defaultModelSpec();

/** A Llama-3-style template written for this test (header markers, eot per message). */
const llama3Style = [
  "{{- bos_token }}",
  "{%- for message in messages %}",
  "{{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}",
  "{%- endfor %}",
  "{%- if add_generation_prompt %}{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{%- endif %}",
].join("\n");

const llamaModel: ModelSpec = {
  ...model,
  tokenizerConfig: { bos_token: "<|begin_of_text|>", eos_token: "<|eot_id|>" },
  chatTemplate: llama3Style,
};

const messages = [
  { role: "system", content: "Be brief." },
  { role: "user", content: "Hi there " },
];

describe("the default model's template", () => {
  test("renders turns with BOS, EOS and the assistant header by default", () => {
    expect(renderChatTemplate(model, messages)).toBe(
      "<|bos|><|turn|>system\nBe brief.<|eos|>\n<|turn|>user\nHi there <|eos|>\n<|turn|>assistant\n",
    );
  });

  test("addGenerationPrompt false leaves the assistant header out", () => {
    expect(renderChatTemplate(model, messages, { addGenerationPrompt: false })).toBe(
      "<|bos|><|turn|>system\nBe brief.<|eos|>\n<|turn|>user\nHi there <|eos|>\n",
    );
  });

  test("content parts are joined and tools appear as a JSON turn", () => {
    const prompt = renderChatTemplate(
      model,
      [
        {
          role: "user",
          content: [
            { type: "text", text: "a" },
            { type: "image_url" },
            { type: "text", text: "b" },
          ],
        },
      ],
      { tools: [{ type: "function", function: { name: "get_weather" } }] },
    );
    expect(prompt).toBe(
      '<|bos|><|turn|>tools\n[{"type": "function", "function": {"name": "get_weather"}}]<|eos|>\n<|turn|>user\nab<|eos|>\n<|turn|>assistant\n',
    );
  });

  test("the rendered prompt tokenizes with the chat markers as single special tokens", () => {
    const ids = model.tokenizer.encode(renderChatTemplate(model, messages), {
      addSpecialTokens: false,
    });
    expect(ids[0]).toBe(model.tokenizer.bosTokenId);
    expect(ids.filter((id) => id === model.tokenizer.eosTokenId)).toHaveLength(2);
  });
});

describe("other templates", () => {
  test("a Llama-3-style template renders as transformers would", () => {
    expect(renderChatTemplate(llamaModel, messages)).toBe(
      "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>" +
        "<|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|>" +
        "<|start_header_id|>assistant<|end_header_id|>\n\n",
    );
    expect(renderChatTemplate(llamaModel, messages, { addGenerationPrompt: false })).not.toContain(
      "assistant",
    );
  });

  test("templateOverride replaces the model's template (vLLM request chat_template)", () => {
    expect(
      renderChatTemplate(model, messages, { templateOverride: "{{ messages | length }}" }),
    ).toBe("2");
  });

  test("extra variables reach the template (chat_template_kwargs)", () => {
    const t = "{% if enable_thinking %}think{% else %}plain{% endif %}";
    expect(
      renderChatTemplate(model, messages, {
        templateOverride: t,
        extra: { enable_thinking: true },
      }),
    ).toBe("think");
    expect(renderChatTemplate(model, messages, { templateOverride: t })).toBe("plain");
  });

  test("a named template list in tokenizer_config.json uses the 'default' entry", async () => {
    const tiny = await loadModelDir(
      fileURLToPath(new URL("testdata/tiny-wordpiece", import.meta.url)),
    );
    expect(renderChatTemplate(tiny, [{ role: "user", content: "hello" }])).toBe("user: hello\n");
  });
});

describe("continueFinalMessage (transformers continue_final_message)", () => {
  const partial = [...messages, { role: "assistant", content: "The answer is" }];

  test("cuts the prompt right after the final message, with no generation prompt", () => {
    expect(renderChatTemplate(model, partial, { continueFinalMessage: true })).toBe(
      "<|bos|><|turn|>system\nBe brief.<|eos|>\n<|turn|>user\nHi there <|eos|>\n<|turn|>assistant\nThe answer is",
    );
  });

  test("keeps a trailing space the template kept; trims one the template trimmed", () => {
    const spaced = [...messages, { role: "assistant", content: "The answer is " }];
    expect(renderChatTemplate(model, spaced, { continueFinalMessage: true })).toMatch(/is $/);
    expect(renderChatTemplate(llamaModel, spaced, { continueFinalMessage: true })).toMatch(
      /<\|end_header_id\|>\n\nThe answer is$/,
    );
  });

  test("uses the last text part of a content list", () => {
    const parts = [
      ...messages,
      {
        role: "assistant",
        content: [
          { type: "text", text: "Sure," },
          { type: "text", text: "well" },
        ],
      },
    ];
    expect(renderChatTemplate(model, parts, { continueFinalMessage: true })).toMatch(/Sure,well$/);
  });

  test("refuses addGenerationPrompt together with it, in transformers' words", () => {
    expect(() =>
      renderChatTemplate(model, partial, { continueFinalMessage: true, addGenerationPrompt: true }),
    ).toThrow(/continue_final_message and add_generation_prompt are not compatible/);
  });

  test("refuses a final message the template dropped", () => {
    expect(() =>
      renderChatTemplate(model, partial, {
        continueFinalMessage: true,
        templateOverride: "{{ messages[0]['content'] }}",
      }),
    ).toThrow(/final message does not appear in the chat/);
  });
});

describe("errors", () => {
  test("no template at all gives vLLM's transformers v4.44 message", () => {
    const { chatTemplate: _, ...bare } = model;
    expect(() => renderChatTemplate(bare, messages)).toThrow(ChatTemplateError);
    expect(() => renderChatTemplate(bare, messages)).toThrow(noChatTemplateMessage);
  });

  test("a broken template and raise_exception become ChatTemplateError", () => {
    expect(() => renderChatTemplate(model, messages, { templateOverride: "{% for %}" })).toThrow(
      /invalid chat template/,
    );
    expect(() =>
      renderChatTemplate(model, messages, {
        templateOverride: "{{ raise_exception('roles must alternate') }}",
      }),
    ).toThrow(/roles must alternate/);
  });
});
