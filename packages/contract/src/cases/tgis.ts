/**
 * The protocol cases of TGIS's fmaas.GenerationService (issue 6). Each case names the fact it checks and
 * asserts properties that hold on a real cluster too.
 */
import type { ContractCase } from "../contract-case.js";

/** Every tgis protocol case. */
export const tgisCases: readonly ContractCase[] = [];
