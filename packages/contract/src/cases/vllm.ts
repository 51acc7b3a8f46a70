/**
 * The protocol cases of vLLM's OpenAI-compatible API (issue 3). Each case names the fact it checks and
 * asserts properties that hold on a real cluster too.
 */
import type { ContractCase } from "../contract-case.js";

/** Every vllm protocol case. */
export const vllmCases: readonly ContractCase[] = [];
