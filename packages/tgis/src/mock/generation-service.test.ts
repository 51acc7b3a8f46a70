import { create } from "@bufbuild/protobuf";
import { defaultModelSpec, ManualClock } from "@servingkit/mock-core";
import {
  BatchedGenerationRequestSchema,
  SingleGenerationRequestSchema,
  StopReason,
} from "@servingkit/proto/fmaas";
import { describe, expect, it } from "vitest";
import { defaultTgisLimits } from "./generation-parameters.js";
import { createGenerationService } from "./generation-service.js";
import { simpleTextModel } from "./text-model.js";

async function paced(clock: ManualClock) {
  const spec = await defaultModelSpec();
  return createGenerationService({
    model: simpleTextModel(spec, clock, { interTokenMs: 10 }),
    limits: defaultTgisLimits,
    clock,
  });
}

/** Advances the manual clock until `work` settles. */
async function drive<T>(clock: ManualClock, work: Promise<T>): Promise<T> {
  let done = false;
  const result = work.finally(() => {
    done = true;
  });
  while (!done) {
    await clock.advance(5);
    await new Promise((r) => setImmediate(r));
  }
  return result;
}

describe("createGenerationService on an injected clock", () => {
  it("ends at time_limit_millis with TIME_LIMIT (caikit-tgis.md §3.3)", async () => {
    const clock = new ManualClock();
    const service = await paced(clock);
    const reply = await drive(
      clock,
      service.generate(
        create(BatchedGenerationRequestSchema, {
          requests: [{ text: "Hello" }],
          params: { stopping: { maxNewTokens: 100, minNewTokens: 100, timeLimitMillis: 35 } },
        }),
      ),
    );
    const [r] = reply.responses;
    expect(r?.stopReason).toBe(StopReason.TIME_LIMIT);
    // Tokens on a fixed schedule, due 0, 10, 20, 30 and 40 ms after the start (mock-core
    // fixedSchedule): the 35 ms limit is passed with the 5th. (The old pacing timed each gap from
    // when the consumer asked, so this test's 5 ms clock steps shifted the tokens to 5, 15, 25
    // and 35 ms and it stopped at the 4th: the consumer's time added to every gap.)
    expect(r?.generatedTokenCount).toBe(5);
  });

  it("holds a stream's permit until it ends, and gives it back when the consumer leaves", async () => {
    const clock = new ManualClock();
    const service = await paced(clock);
    const stream = await service.generateStream(
      create(SingleGenerationRequestSchema, {
        request: { text: "Hi" },
        params: { stopping: { maxNewTokens: 50 } },
      }),
    );
    expect(service.inFlight).toBe(1);
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next();
    await drive(clock, iterator.next());
    await iterator.return?.();
    expect(service.inFlight).toBe(0);
  });
});
