/**
 * The requests of one bidirectional stream run concurrently, as Triton runs those of one
 * ModelStreamInfer call (server src/grpc/stream_infer_handler.cc `Process`: each request read is
 * issued with `TRITONSERVER_ServerInferAsync` and the next read starts at once; responses are
 * written as they become ready, so the responses of different requests interleave on the
 * stream). A request answered at once keeps its place among the other such requests (Triton puts
 * non-decoupled requests in the context's queue "so that its response is sent in the same order
 * as the request was received"); a request answered over time (a decoupled model's responses)
 * sends each message when it is produced, its own messages in order. The stream ends when the
 * client has half-closed and every request has finished (`IsRequestsCompleted`).
 *
 * Pure scheduling, no protocol: the gRPC adapter says what each request's answer is.
 */
import { pushable } from "it-pushable";

/** One request's answer: its messages at once (in order), or as they are produced. */
export type StreamAnswer<M> = readonly M[] | AsyncIterable<M>;

/**
 * Reads `requests` and yields the messages of their answers as they come. `answer` is called
 * once per request, in order, with a signal that aborts when the stream ends early (the client
 * cancelled or `signal` aborted) so a running answer stops producing. A failure to read the
 * requests, or an answer that throws, ends the stream with that error after the messages
 * already produced.
 */
export async function* runConcurrently<R, M>(
  requests: AsyncIterable<R>,
  answer: (request: R, signal: AbortSignal) => StreamAnswer<M>,
  signal: AbortSignal,
): AsyncGenerator<M> {
  const stop = new AbortController();
  const stopped = AbortSignal.any([signal, stop.signal]);
  const out = pushable<M>({ objectMode: true });
  // The reader counts as one open producer until the client half-closes.
  let open = 1;
  let ended = false;
  const settle = (error?: unknown) => {
    if (ended) return;
    if (error !== undefined) {
      ended = true;
      out.end(error instanceof Error ? error : new Error(String(error)));
    } else if (--open === 0) {
      ended = true;
      out.end();
    }
  };
  const pump = async (messages: AsyncIterable<M>) => {
    try {
      for await (const message of messages) {
        if (ended || stopped.aborted) break;
        out.push(message);
      }
      settle();
    } catch (error) {
      settle(error);
    }
  };
  const read = async () => {
    try {
      for await (const request of requests) {
        if (ended || stopped.aborted) break;
        const messages = answer(request, stopped);
        if (Array.isArray(messages)) {
          for (const message of messages as readonly M[]) out.push(message);
        } else {
          open += 1;
          void pump(messages as AsyncIterable<M>);
        }
      }
      settle();
    } catch (error) {
      settle(error);
    }
  };
  void read();
  try {
    yield* out;
  } finally {
    // Whatever ended the stream (done, error, or the consumer stopping), nothing runs on.
    stop.abort();
  }
}
