/**
 * Test helper: a step-time model with round numbers, so scheduling tests can state expected
 * times exactly instead of deriving them from a GPU's roofline.
 */
import type { StepTimeModel } from "./step-time.js";

/** A step costs 10 ms plus 1 ms per token computed (0 with nothing scheduled). */
export const linearStepTime: StepTimeModel = {
  parameters: {
    computeEfficiency: 1,
    bandwidthEfficiency: 1,
    stepOverhead: 0,
    perSequenceOverhead: 0,
    allReduceLatency: 0,
  },
  time: (load) => (load.sequences === 0 ? 0 : 0.01 + 0.001 * load.tokens),
  computeTime: (load) => 0.001 * load.tokens,
  memoryTime: () => 0.01,
};
