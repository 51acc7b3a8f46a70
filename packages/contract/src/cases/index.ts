/**
 * The case catalog. A new concern is one file beside this one exporting its cases, plus one line
 * here; the runner, the table, JUnit and the vitest run pick it up from this list.
 */
import type { ContractCase } from "../contract-case.js";
import { authCases } from "./auth.js";
import { caikitCases } from "./caikit.js";
import { healthCases } from "./health.js";
import { kserveCases } from "./kserve.js";
import { kserveStructuredCases } from "./kserve-structured.js";
import { openaiApiCases } from "./openai-apis.js";
import { openaiChatBatchCases } from "./openai-chat-batch.js";
import { openaiReasoningCases } from "./openai-reasoning.js";
import { openaiResponsesPenaltiesCases } from "./openai-responses-penalties.js";
import { openaiStreamFingerprintCases } from "./openai-stream-fingerprint.js";
import { openaiStructuredCases } from "./openai-structured.js";
import { tgisCases } from "./tgis.js";
import { tlsCases } from "./tls.js";
import { vllmCases } from "./vllm.js";
import { vllmSamplingCases } from "./vllm-sampling.js";

/** Every contract case, in the order tables list them. */
export const contractCases: readonly ContractCase[] = [
  ...healthCases,
  ...authCases,
  ...tlsCases,
  ...vllmCases,
  ...vllmSamplingCases,
  ...openaiApiCases,
  ...openaiChatBatchCases,
  ...openaiReasoningCases,
  ...openaiResponsesPenaltiesCases,
  ...openaiStreamFingerprintCases,
  ...openaiStructuredCases,
  ...kserveCases,
  ...kserveStructuredCases,
  ...caikitCases,
  ...tgisCases,
];
