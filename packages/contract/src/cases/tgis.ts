/**
 * The protocol cases of TGIS's fmaas.GenerationService (issue 6). Each case names the fact it
 * checks and asserts properties that hold on a real cluster too: the seed's Generate call, the
 * empty batch, the stream's message order, validation codes and texts (limits read from the
 * target's own ModelInfo), Tokenize truncation and ModelInfo's limits.
 */
import assert from "node:assert/strict";
import { Code, createClient } from "@connectrpc/connect";
import {
  DecodingMethod,
  type GenerationResponse,
  GenerationService,
  ModelInfoResponse_ModelKind,
  StopReason,
} from "@servingkit/proto/fmaas";
import { type CaseContext, type ContractCase, defineCase } from "../contract-case.js";
import { grpcOutcome } from "./grpc-outcome.js";

function client(context: CaseContext) {
  return createClient(GenerationService, context.grpc());
}

async function expectInvalid(call: Promise<unknown>, text: string, what: string): Promise<void> {
  const outcome = await grpcOutcome(call);
  assert.ok(!outcome.ok, `${what}: refused`);
  assert.equal(outcome.error.code, Code.InvalidArgument, `${what}: INVALID_ARGUMENT`);
  assert.equal(outcome.error.rawMessage, text, `${what}: TGIS's text`);
}

/** Every tgis protocol case. */
export const tgisCases: readonly ContractCase[] = [
  defineCase({
    id: "tgis/generate-seed-call",
    title: "the seed's Generate call answers one response with counts and a final stop reason",
    source:
      'seed grpcurl -d \'{"requests": [{"text":"<text>"}]}\' fmaas.GenerationService/Generate; caikit-tgis.md §3.3 (max_new_tokens 0 → 20, greedy seed 0)',
    runtimes: ["tgis"],
    transport: "grpc",
    async run(context) {
      const reply = await client(context).generate(
        { requests: [{ text: "Hello, how are you?" }] },
        { signal: context.signal },
      );
      assert.equal(reply.responses.length, 1, "one response per request");
      const [r] = reply.responses as [GenerationResponse];
      assert.ok(r.inputTokenCount > 0, "input_token_count");
      assert.ok(r.generatedTokenCount <= 20, "at most the default 20 new tokens");
      assert.notEqual(r.stopReason, StopReason.NOT_FINISHED, "a final stop reason");
      if (r.stopReason === StopReason.MAX_TOKENS) assert.equal(r.generatedTokenCount, 20);
      assert.equal(r.seed, 0n, "greedy reports seed 0");
    },
  }),
  defineCase({
    id: "tgis/generate-empty-batch",
    title: "Generate with no requests answers OK with no responses",
    source: "caikit-tgis.md §3.3; router/src/grpc_server.rs generate (batch_size 0)",
    runtimes: ["tgis"],
    transport: "grpc",
    async run(context) {
      const reply = await client(context).generate({ requests: [] }, { signal: context.signal });
      assert.deepEqual(reply.responses, []);
    },
  }),
  defineCase({
    id: "tgis/generate-sample-seed",
    title: "SAMPLE without a seed returns the u32 seed the server chose; a given seed is echoed",
    source: "caikit-tgis.md §3.3; router/src/validation.rs (random u32 seed)",
    runtimes: ["tgis"],
    transport: "grpc",
    async run(context) {
      const tgis = client(context);
      const params = { method: DecodingMethod.SAMPLE, stopping: { maxNewTokens: 2 } };
      const chosen = await tgis.generate(
        { requests: [{ text: "Hi" }], params },
        { signal: context.signal },
      );
      const seed = chosen.responses[0]?.seed ?? 0n;
      assert.ok(seed < 2n ** 32n, "a u32 seed");
      const given = await tgis.generate(
        { requests: [{ text: "Hi" }], params: { ...params, sampling: { seed: 1234n } } },
        { signal: context.signal },
      );
      assert.equal(given.responses[0]?.seed, 1234n, "the request's seed");
    },
  }),
  defineCase({
    id: "tgis/stream-sequence",
    title: "GenerateStream: input count first, rising token counts, the stop reason last",
    source: "caikit-tgis.md §3.6; router/src/batcher.rs",
    runtimes: ["tgis"],
    transport: "grpc",
    async run(context) {
      const messages: GenerationResponse[] = [];
      for await (const m of client(context).generateStream(
        { request: { text: "Tell me a story" }, params: { stopping: { maxNewTokens: 5 } } },
        { signal: context.signal },
      )) {
        messages.push(m);
      }
      assert.ok(messages.length >= 2, "a first message and at least one more");
      const [first] = messages as [GenerationResponse];
      assert.ok(first.inputTokenCount > 0, "first: input_token_count");
      assert.equal(first.generatedTokenCount, 0, "first: no generated count");
      const counts = messages.slice(1).map((m) => m.generatedTokenCount);
      for (let i = 1; i < counts.length; i += 1) {
        assert.ok((counts[i] ?? 0) > (counts[i - 1] ?? 0), "generated_token_count rises");
      }
      assert.ok((counts.at(-1) ?? 0) <= 5, "at most max_new_tokens");
      const last = messages.at(-1);
      assert.notEqual(last?.stopReason, StopReason.NOT_FINISHED, "last: a stop reason");
      for (const m of messages.slice(0, -1)) {
        assert.equal(m.stopReason, StopReason.NOT_FINISHED, "only the last one finishes");
      }
    },
  }),
  defineCase({
    id: "tgis/stream-missing-request",
    title: "GenerateStream without a request: INVALID_ARGUMENT 'missing request'",
    source: "caikit-tgis.md §3.3; router/src/grpc_server.rs generate_stream",
    runtimes: ["tgis"],
    transport: "grpc",
    async run(context) {
      const drain = async () => {
        for await (const _ of client(context).generateStream({}, { signal: context.signal })) {
          // nothing arrives
        }
      };
      await expectInvalid(drain(), "missing request", "no request");
    },
  }),
  defineCase({
    id: "tgis/validate-max-new-tokens",
    title: "max_new_tokens above the server's limit: INVALID_ARGUMENT with the limit",
    source: "caikit-tgis.md §3.4; router/src/validation.rs MaxNewTokens",
    runtimes: ["tgis"],
    transport: "grpc",
    async run(context) {
      const tgis = client(context);
      const info = await tgis.modelInfo({}, { signal: context.signal });
      await expectInvalid(
        tgis.generate(
          {
            requests: [{ text: "x" }],
            params: { stopping: { maxNewTokens: info.maxNewTokens + 1 } },
          },
          { signal: context.signal },
        ),
        `max_new_tokens must be <= ${info.maxNewTokens}`,
        "max_new_tokens",
      );
    },
  }),
  defineCase({
    id: "tgis/validate-token-detail",
    title: "logprobs without input or generated tokens: INVALID_ARGUMENT",
    source: "caikit-tgis.md §3.4; router/src/validation.rs TokenDetail",
    runtimes: ["tgis"],
    transport: "grpc",
    async run(context) {
      await expectInvalid(
        client(context).generate(
          { requests: [{ text: "x" }], params: { response: { tokenLogprobs: true } } },
          { signal: context.signal },
        ),
        "must request input and/or generated tokens to request extra token detail",
        "token detail",
      );
    },
  }),
  defineCase({
    id: "tgis/validate-stop-sequences",
    title: "seven stop sequences: INVALID_ARGUMENT with TGIS's limits",
    source: "caikit-tgis.md §3.4; router/src/validation.rs StopSequences (6 × 240 bytes)",
    runtimes: ["tgis"],
    transport: "grpc",
    async run(context) {
      await expectInvalid(
        client(context).generate(
          {
            requests: [{ text: "x" }],
            params: { stopping: { stopSequences: ["a", "b", "c", "d", "e", "f", "g"] } },
          },
          { signal: context.signal },
        ),
        "can specify at most 6 non-empty stop sequences, each not more than 240 UTF8 bytes",
        "stop sequences",
      );
    },
  }),
  defineCase({
    id: "tgis/tokenize-truncation",
    title: "Tokenize counts at most truncate_input_tokens and returns the last tokens",
    source: "caikit-tgis.md §3.3; router/src/grpc_server.rs tokenize",
    runtimes: ["tgis"],
    transport: "grpc",
    async run(context) {
      const tgis = client(context);
      const text = "one two three four five six";
      const full = await tgis.tokenize(
        { requests: [{ text }], returnTokens: true },
        { signal: context.signal },
      );
      const all = full.responses[0];
      assert.ok(all && all.tokenCount >= 3, "several tokens");
      assert.equal(all.tokens.length, all.tokenCount, "one string per token");
      const cut = await tgis.tokenize(
        { requests: [{ text }], returnTokens: true, returnOffsets: true, truncateInputTokens: 2 },
        { signal: context.signal },
      );
      const tail = cut.responses[0];
      assert.equal(tail?.tokenCount, 2, "count limited");
      assert.deepEqual(tail?.tokens, all.tokens.slice(-2), "the last tokens");
      assert.equal(tail?.offsets.length, 2, "offsets of the last tokens");
    },
  }),
  defineCase({
    id: "tgis/model-info",
    title: "ModelInfo: a model kind and max_new_tokens below max_sequence_length",
    source: "caikit-tgis.md §3.2, §3.3; launcher/src/main.rs (max_new_tokens capped)",
    runtimes: ["tgis"],
    transport: "grpc",
    async run(context) {
      const info = await client(context).modelInfo(
        { modelId: "ignored" },
        { signal: context.signal },
      );
      assert.ok(
        info.modelKind === ModelInfoResponse_ModelKind.DECODER_ONLY ||
          info.modelKind === ModelInfoResponse_ModelKind.ENCODER_DECODER,
        "model_kind",
      );
      assert.ok(info.maxSequenceLength > 0, "max_sequence_length");
      assert.ok(
        info.maxNewTokens > 0 && info.maxNewTokens < info.maxSequenceLength,
        "max_new_tokens",
      );
    },
  }),
  defineCase({
    id: "tgis/unknown-prompt-prefix",
    title: "a prefix_id the server cannot load: INVALID_ARGUMENT with the shard's not-found text",
    source:
      'router/src/validation.rs (PromptPrefix), server/text_generation_server/server.py PrefixLookup (prefix id "<id>" not found)',
    runtimes: ["tgis"],
    transport: "grpc",
    async run(context) {
      const id = "servingkit-contract-no-such-prefix";
      await expectInvalid(
        client(context).generate(
          { prefixId: id, requests: [{ text: "Hi" }] },
          { signal: context.signal },
        ),
        `can't retrieve prompt prefix with id '${id}': prefix id "${id}" not found`,
        "unknown prefix",
      );
    },
  }),
  defineCase({
    id: "tgis/input-token-details",
    title:
      "input tokens with logprobs and ranks: the first token NaN and rank 0, the others ranked",
    source: "server/text_generation_server/utils/tokens.py get_input_tokens_info",
    runtimes: ["tgis"],
    transport: "grpc",
    async run(context) {
      const reply = await client(context).generate(
        {
          requests: [{ text: "The quick brown fox" }],
          params: {
            response: { inputTokens: true, tokenLogprobs: true, tokenRanks: true },
            stopping: { maxNewTokens: 1 },
          },
        },
        { signal: context.signal },
      );
      const [first, ...rest] = reply.responses[0]?.inputTokens ?? [];
      assert.ok(first, "input tokens returned");
      assert.ok(Number.isNaN(first.logprob), "first token's logprob is NaN");
      assert.equal(first.rank, 0, "first token's rank is 0");
      for (const token of rest) {
        assert.ok(token.logprob <= 0, "a logprob");
        assert.ok(token.rank >= 1, "a 1-based rank");
      }
    },
  }),
];
