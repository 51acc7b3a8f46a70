import { expect, test } from "vitest";
import * as mockCore from "../index.js";

test("the package entry exports the engine API the protocol families code against", () => {
  for (const name of [
    "createSimpleEngine",
    "createTokenizer",
    "defaultModelSpec",
    "embedText",
    "cosineSimilarity",
    "IncrementalDecoder",
    "loadModelDir",
    "maxModelLenOf",
    "renderChatTemplate",
    "ChatTemplateError",
    "GenerationRequestError",
    "ModelLoadError",
    "createTextEngine",
    "createGpuTextEngine",
    "gpuEngineOptions",
    "readGpuEngineSettings",
    "statsLogIntervalMs",
  ]) {
    expect(mockCore, name).toHaveProperty(name);
  }
});
