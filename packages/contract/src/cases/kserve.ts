/**
 * The protocol cases of KServe v2 / Open Inference Protocol as Triton, MLServer and OVMS serve it (issue 4). Each case names the fact it checks and
 * asserts properties that hold on a real cluster too.
 */
import type { ContractCase } from "../contract-case.js";

/** Every kserve protocol case. */
export const kserveCases: readonly ContractCase[] = [];
