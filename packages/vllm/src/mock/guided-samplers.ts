/**
 * mock-core's structured-output samplers as the vLLM server uses them: the same functions, a
 * refusal ({@link StructuredOutputError}, the backend's own text) answered as vLLM answers it, a
 * 400 `BadRequestError` with that text (backend_xgrammar.py / backend_guidance.py raise
 * ValueError, which the OpenAI server turns into its 400). The one place the vLLM mock maps them.
 */
import {
  checkRegex as coreCheckRegex,
  constrainedText as coreConstrainedText,
  parseGrammar as coreParseGrammar,
  pythonJsonLoads,
  type StructuredConstraint,
  StructuredOutputError,
} from "@servingkit/mock-core";
import { badRequest } from "./errors.js";

function asVllm<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof StructuredOutputError) throw badRequest(error.message);
    throw error;
  }
}

/** Checks a guided pattern before generation; a pattern vLLM refuses is its 400. */
export function checkRegex(pattern: string): void {
  asVllm(() => coreCheckRegex(pattern));
}

/**
 * Checks a guided JSON schema before generation: JSON text that does not parse is the 400 with
 * Python's JSONDecodeError text (the `auto` backend's fallback `json.loads`, sampling_params.py);
 * an object, or text that parses, is accepted.
 */
export function checkJson(schema: unknown): void {
  if (typeof schema !== "string") return;
  const loaded = pythonJsonLoads(schema);
  if ("error" in loaded) throw badRequest(loaded.error);
}

/**
 * Checks a structural tag before generation (mock-core `sampleStructuralTag`): one xgrammar and
 * guidance both refuse is the 400 with the text of the backend `auto` ends on.
 */
export function checkStructuralTag(tag: unknown): void {
  asVllm(() => coreConstrainedText({ structuralTag: tag }, 0));
}

/** Parses a guided grammar before generation; a grammar vLLM refuses is its 400. */
export function parseGrammar(grammar: string): void {
  asVllm(() => coreParseGrammar(grammar));
}

/**
 * The guided text of one constraint (mock-core `constrainedText`: a schema's JSON value, a
 * choice, a regex match, a grammar sentence), the same for the same seed; a refused constraint is
 * the 400.
 */
export function constrainedText(constraint: StructuredConstraint, seed: number): string {
  return asVllm(() => coreConstrainedText(constraint, seed));
}
