/**
 * The one error the structured-output samplers throw: a constraint (regex, grammar) that the
 * structured-output backend a runtime uses would refuse. The message is that backend's own text
 * (xgrammar's, guidance's, vLLM's Lark rewrite's); each runtime decides what status and envelope
 * carry it (the vLLM server answers it as its 400, Triton's vllm backend as a response error).
 */
export class StructuredOutputError extends Error {
  override readonly name = "StructuredOutputError";
}
