import type { DescService } from "@bufbuild/protobuf";
import { type Client, createClient, type Transport } from "@connectrpc/connect";
import { canceledError } from "./attempt-signal.js";
import { Code } from "./code.js";
import { ServingkitError } from "./servingkit-error.js";

interface StreamCallOptions {
  signal?: AbortSignal;
  [option: string]: unknown;
}

type StreamMethod = (input: unknown, options?: StreamCallOptions) => AsyncIterable<unknown>;

/**
 * Wraps a streaming call so that leaving a `for await` early aborts it. connect's `createClient`
 * hands back iterables without `return()`, so a `break` would leave the call running until the
 * server ends it; here the iterator's `return()` aborts a signal linked to the caller's.
 * Single use, like every servingkit stream: a second iteration throws `Code.FailedPrecondition`.
 */
export function abortOnExit<T>(
  start: (signal: AbortSignal) => AsyncIterable<T>,
  callerSignal: AbortSignal | undefined,
): AsyncIterable<T> {
  let consumed = false;
  return {
    [Symbol.asyncIterator](): AsyncIterator<T> {
      if (consumed) {
        throw new ServingkitError(
          "this stream was already iterated; a stream can be consumed once",
          Code.FailedPrecondition,
          { retryable: false },
        );
      }
      consumed = true;
      const controller = new AbortController();
      const signal =
        callerSignal === undefined
          ? controller.signal
          : AbortSignal.any([callerSignal, controller.signal]);
      const inner = start(signal)[Symbol.asyncIterator]();
      return {
        async next() {
          try {
            return await inner.next();
          } catch (thrown) {
            throw callerSignal?.aborted
              ? canceledError(callerSignal)
              : ServingkitError.from(thrown);
          }
        },
        async return() {
          controller.abort(new DOMException("the consumer left the stream", "AbortError"));
          return { done: true, value: undefined };
        },
      };
    },
  };
}

/**
 * Creates a typed gRPC client for a service (a protobuf-es `DescService`, e.g. `Health` from
 * `@servingkit/proto/health`) over a transport from `createGrpcTransport`. It is connect's
 * `createClient`, except that server- and bidi-streaming methods return single-use iterables
 * whose `break` cancels the call on the wire.
 */
export function createGrpcClient<T extends DescService>(
  service: T,
  transport: Transport,
): Client<T> {
  const client = createClient(service, transport) as unknown as Record<string, unknown>;
  const wrapped: Record<string, unknown> = {};
  for (const method of service.methods) {
    const call = client[method.localName];
    if (method.methodKind === "server_streaming" || method.methodKind === "bidi_streaming") {
      const stream = call as StreamMethod;
      wrapped[method.localName] = (input: unknown, options?: StreamCallOptions) =>
        abortOnExit((signal) => stream(input, { ...options, signal }), options?.signal);
    } else {
      wrapped[method.localName] = call;
    }
  }
  return wrapped as Client<T>;
}
