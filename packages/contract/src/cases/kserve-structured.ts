/**
 * Structured outputs through Triton's vLLM backend (issue 4 with issue 3): `sampling_parameters`
 * carries vLLM's `structured_outputs` (or, on backends before it, `guided_decoding`), and vLLM
 * constrains the generated text to it. Cheap on a real Triton + vLLM: a few tokens, greedy.
 * The text is checked only where it is whole: a JSON text is parsed only when the finish reason
 * is not `length` (vLLM stops at `max_tokens` whatever the constraint, a JSON text cut short).
 */
import assert from "node:assert/strict";
import { type CaseContext, type ContractCase, defineCase } from "../contract-case.js";

/** The error vllm_backend's from_dict gives for a key it does not know (it returns None). */
const unknownKeyError = "'NoneType' object has no attribute 'lora_name'";

function parseJson(body: string, what: string): Record<string, unknown> {
  try {
    return JSON.parse(body) as Record<string, unknown>;
  } catch {
    assert.fail(`${what}: body is not JSON: ${body.slice(0, 200)}`);
  }
}

/**
 * The target's model, else `vllm_model` when served; skips unless it is a decoupled model with
 * the vLLM backend's `text_input`, `stream` and `sampling_parameters` inputs. Returns its name
 * and whether it has the `return_finish_reason` input (vllm_backend auto_complete_config).
 */
async function vllmModelOf(context: CaseContext): Promise<{ model: string; finish: boolean }> {
  const model = context.target.model ?? "vllm_model";
  const meta = await context.rest(`/v2/models/${model}`);
  if (meta.status !== 200) context.skip(`the target does not serve '${model}'`);
  const inputs = (parseJson(meta.body, "model metadata").inputs ?? []) as { name: string }[];
  const names = new Set(inputs.map((t) => t.name));
  for (const name of ["text_input", "stream", "sampling_parameters"]) {
    if (!names.has(name)) context.skip(`'${model}' has no '${name}' input (no vLLM backend model)`);
  }
  return { model, finish: names.has("return_finish_reason") };
}

/** One non-streamed generate with a constraint: status and the flat answer. */
async function generateWith(
  context: CaseContext,
  model: string,
  finish: boolean,
  constraint: object,
  maxTokens: number,
): Promise<{ status: number; json: Record<string, unknown> }> {
  // structured_outputs is a JSON text (json.loads in from_dict); guided_decoding its older name.
  const ask = async (key: string) => {
    const sampling = { max_tokens: maxTokens, temperature: 0, [key]: JSON.stringify(constraint) };
    const body: Record<string, unknown> = {
      text_input: "Answer in JSON: is the sky blue?",
      stream: false,
      exclude_input_in_output: true,
      sampling_parameters: JSON.stringify(sampling),
    };
    if (finish) body.return_finish_reason = true;
    const answer = await context.rest(`/v2/models/${model}/generate`, { json: body });
    return { status: answer.status, json: parseJson(answer.body, "generate answer") };
  };
  const first = await ask("structured_outputs");
  if (first.status === 200 || !String(first.json.error).includes(unknownKeyError)) return first;
  const older = await ask("guided_decoding");
  if (older.status !== 200 && String(older.json.error).includes(unknownKeyError)) {
    context.skip("the vLLM backend takes neither structured_outputs nor guided_decoding");
  }
  return older;
}

/** Structured-output cases of KServe v2 runtimes. */
export const kserveStructuredCases: readonly ContractCase[] = [
  defineCase({
    id: "kserve/rest-generate-structured",
    title:
      "structured outputs through Triton's vLLM backend: a json schema's text parses and conforms (when not cut by max_tokens), a choice answers one of the choices, a regex vLLM refuses is an `Error generating stream: ...` error",
    source:
      "triton-inference-server/vllm_backend src/utils/vllm_backend_utils.py (TritonSamplingParams.from_dict: structured_outputs / guided_decoding), src/model.py _infer (an exception from generate: TritonError `Error generating stream: {e}`); vllm/v1/structured_output (the constraint, its ValueError)",
    runtimes: ["triton"],
    transport: "rest",
    async run(context) {
      const { model, finish } = await vllmModelOf(context);
      const schema = {
        type: "object",
        properties: { answer: { type: "boolean" } },
        required: ["answer"],
      };
      const json = await generateWith(context, model, finish, { json: schema }, 24);
      assert.equal(json.status, 200, `json status (${JSON.stringify(json.json).slice(0, 200)})`);
      const text = json.json.text_output;
      assert.equal(typeof text, "string", "text_output is a string");
      if (finish && json.json.finish_reason !== "length") {
        const value = parseJson(String(text), "the constrained text");
        assert.equal(typeof value.answer, "boolean", `answer is a boolean (${String(text)})`);
      }
      const choices = ["yes", "no"];
      const choice = await generateWith(context, model, finish, { choice: choices }, 8);
      assert.equal(choice.status, 200, `choice status (${JSON.stringify(choice.json)})`);
      if (finish && choice.json.finish_reason !== "length") {
        assert.ok(
          choices.includes(String(choice.json.text_output)),
          `one of the choices (${String(choice.json.text_output)})`,
        );
      }
      // A backreference: xgrammar and guidance both refuse it (vLLM's ValueError from generate).
      const refused = await generateWith(context, model, finish, { regex: "(a)\\1" }, 4);
      assert.notEqual(refused.status, 200, "a refused regex is an error");
      assert.ok(
        String(refused.json.error).startsWith("Error generating stream: "),
        `error text (${String(refused.json.error)})`,
      );
    },
  }),
];
