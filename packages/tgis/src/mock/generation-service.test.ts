import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { defaultModelSpec } from "@servingkit/mock-core/engine";
import { ManualClock } from "@servingkit/mock-core/host";
import {
  BatchedGenerationRequestSchema,
  SingleGenerationRequestSchema,
  StopReason,
} from "@servingkit/proto/fmaas";
import { describe, expect, it } from "vitest";
import { defaultTgisLimits } from "./generation-parameters.js";
import { createGenerationService } from "./generation-service.js";
import { prefixStore } from "./prompt-prefixes.js";
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

/** A PEFT prefix as safetensors: the header names `prompt_embeddings` with `rows` rows. */
function writeSafetensorsPrefix(dir: string, rows: number): void {
  mkdirSync(dir, { recursive: true });
  const header = Buffer.from(
    JSON.stringify({
      prompt_embeddings: { dtype: "F32", shape: [rows, 4], data_offsets: [0, rows * 16] },
    }),
  );
  const size = Buffer.alloc(8);
  size.writeBigUInt64LE(BigInt(header.length));
  writeFileSync(
    join(dir, "adapter_model.safetensors"),
    Buffer.concat([size, header, Buffer.alloc(rows * 16)]),
  );
}

describe("prompt prefixes (prefix_id)", () => {
  const store = mkdtempSync(join(tmpdir(), "tgis-prefixes-"));
  writeSafetensorsPrefix(join(store, "tuned"), 8);
  writeSafetensorsPrefix(join(store, "huge"), 5000);

  async function service(maxSequenceLength = 64) {
    const clock = new ManualClock();
    const spec = await defaultModelSpec();
    return createGenerationService({
      model: simpleTextModel(spec, clock),
      limits: { ...defaultTgisLimits, maxSequenceLength, maxNewTokens: 60 },
      clock,
      prefixes: prefixStore(store, maxSequenceLength),
    });
  }

  const request = (
    prefixId: string,
    maxNewTokens = 5,
    text = "Hello",
    minNewTokens = maxNewTokens,
  ) =>
    create(BatchedGenerationRequestSchema, {
      prefixId,
      requests: [{ text }],
      params: { stopping: { maxNewTokens, minNewTokens } },
    });

  it("refuses an unknown prefix with TGIS's text", async () => {
    // validation.rs PromptPrefix + server.py PrefixLookup (NOT_FOUND `prefix id "<id>" not found`,
    // shown as the shard's message by client/src/lib.rs ClientError::Generation).
    const error = await (await service()).generate(request("nope")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).code).toBe(Code.InvalidArgument);
    expect((error as ConnectError).rawMessage).toBe(
      `can't retrieve prompt prefix with id 'nope': prefix id "nope" not found`,
    );
    // prompt_cache.py VALID_PREFIX_ID_PATTERN: only word characters, - and /.
    const bad = await (await service()).generate(request("a b")).catch((e: unknown) => e);
    expect((bad as ConnectError).rawMessage).toBe(
      "can't retrieve prompt prefix with id 'a b': Unexpected <class 'Exception'>: Invalid prefix id a b, must contain only alphanumeric, _ and - and /",
    );
    // prompt_cache.py _process_prefix_tensor: longer than the model's max length.
    const huge = await (await service()).generate(request("huge")).catch((e: unknown) => e);
    expect((huge as ConnectError).rawMessage).toBe(
      "can't retrieve prompt prefix with id 'huge': Unexpected <class 'Exception'>: Invalid prefix embedding length of 5000",
    );
  });

  it("counts a known prefix's virtual tokens in the length checks, not in input_token_count", async () => {
    // validation.rs: effective length = input + prefix; the messages name both; max_new_tokens
    // lowered to fit with TOKEN_LIMIT; batcher.rs reports in_token_count = the input's length.
    const tgis = await service();
    const plain = (await tgis.generate(request("tuned", 5))).responses[0];
    const inputLength = plain?.inputTokenCount ?? 0;
    expect(plain?.generatedTokenCount).toBe(5);
    const room = 64 - inputLength - 8;
    const limited = (await tgis.generate(request("tuned", room + 3, "Hello", room))).responses[0];
    expect(limited?.inputTokenCount).toBe(inputLength);
    expect(limited?.generatedTokenCount).toBe(room);
    expect(limited?.stopReason).toBe(StopReason.TOKEN_LIMIT);
    const tooLong = await tgis
      .generate(request("tuned", 1, "word ".repeat(60)))
      .catch((e: unknown) => e as ConnectError);
    expect((tooLong as ConnectError).rawMessage).toMatch(
      /^input tokens \(\d+\) plus prefix length \(8\) must be < 64$/,
    );
  });

  it("looks the prefix up after the parameter checks (validation.rs order)", async () => {
    const tgis = await service();
    const error = await tgis
      .generate(
        create(BatchedGenerationRequestSchema, {
          prefixId: "nope",
          requests: [{ text: "x" }],
          params: { stopping: { maxNewTokens: 1000 } },
        }),
      )
      .catch((e: unknown) => e as ConnectError);
    expect((error as ConnectError).rawMessage).toBe("max_new_tokens must be <= 60");
  });
});

describe("input token details", () => {
  it("gives the first input token NaN and rank 0, the others logprob, rank and top tokens", async () => {
    // utils/tokens.py get_input_tokens_info: SINGLE_NAN / SINGLE_ZERO / SINGLE_NONE for the first.
    const clock = new ManualClock();
    const spec = await defaultModelSpec();
    const tgis = createGenerationService({
      model: simpleTextModel(spec, clock),
      limits: defaultTgisLimits,
      clock,
    });
    const ask = (response: Record<string, unknown>) =>
      tgis.generate(
        create(BatchedGenerationRequestSchema, {
          requests: [{ text: "The quick brown fox" }],
          params: { response: { inputTokens: true, ...response }, stopping: { maxNewTokens: 1 } },
        }),
      );
    const [detailed] = (await ask({ tokenLogprobs: true, tokenRanks: true, topNTokens: 2 }))
      .responses;
    const [first, ...rest] = detailed?.inputTokens ?? [];
    expect(Number.isNaN(first?.logprob)).toBe(true);
    expect(first?.rank).toBe(0);
    expect(first?.topTokens).toEqual([]);
    expect(rest.length).toBeGreaterThan(0);
    for (const token of rest) {
      expect(token.logprob).toBeLessThan(0);
      expect(token.rank).toBeGreaterThanOrEqual(1);
      expect(token.topTokens.length).toBe(2);
    }
    // Unasked details stay zero (FLOAT_ZEROS); texts alone without any detail.
    const [plain] = (await ask({})).responses;
    expect(plain?.inputTokens.map((t) => [t.logprob, t.rank, t.topTokens.length])).toEqual(
      plain?.inputTokens.map(() => [0, 0, 0]),
    );
    expect(plain?.inputTokens.map((t) => t.text)).toEqual(detailed?.inputTokens.map((t) => t.text));
  });
});
