/**
 * The protocol cases of the Caikit runtimes' REST and gRPC tasks (issue 5). Each case names the fact it checks and
 * asserts properties that hold on a real cluster too.
 */
import type { ContractCase } from "../contract-case.js";

/** Every caikit protocol case. */
export const caikitCases: readonly ContractCase[] = [];
