/**
 * Fault injection: the grammar of the `x-servingkit-fault` header (and gRPC metadata key), the
 * rate-based faults of the configuration, and the stream-cutting helper plugins use. Pure; the
 * hosts apply what these functions decide.
 *
 * Grammar: items separated by `,` or `;`, each `key=value`, whitespace ignored:
 *
 * | key | value | effect |
 * |---|---|---|
 * | `status` | 400-599 | REST: answer this HTTP status (body in the runtime's error envelope) |
 * | `grpc` | code name or number (`UNAVAILABLE`, `14`) | gRPC: fail the call with this code |
 * | `delay-ms` | 0-600000 | wait this long before the response headers |
 * | `cut-after` | integer >= 0 | streams: end abruptly after this many chunks/messages |
 * | `message` | percent-encoded text | the error message (default: {@link defaultFaultMessage}) |
 * | `rate` | 0-1 | configuration rules only: the probability that a request gets the fault |
 *
 * `status` alone also fails gRPC calls (code mapped from the status as envoy maps it), `grpc`
 * alone also fails REST requests (status mapped from the code), so one spec works on both ports.
 * With `cut-after`, a stream is cut after that many chunks: REST connections are dropped
 * mid-body; gRPC streams are reset (RST_STREAM), or end with the `grpc` code when one is given.
 *
 * Examples: `status=503`, `grpc=UNAVAILABLE`, `delay-ms=200`, `cut-after=3`,
 * `delay-ms=50, status=429, message=slow%20down`.
 */
import type { Code } from "@connectrpc/connect";
import {
  codeFromGrpcHttpStatus,
  grpcStatusName,
  httpStatusFromCode,
  parseCode,
} from "@servingkit/client-core";

/** The request header (and gRPC metadata key) that asks for a fault on one request. */
export const faultHeader = "x-servingkit-fault";

/** The error message of an injected fault that names none. */
export const defaultFaultMessage = "fault injected by servingkit";

/** The longest delay a fault may ask for, in milliseconds (10 minutes). */
export const maxFaultDelayMs = 600_000;

/** One fault: what to do to one request. Every field is optional; at least one action is set. */
export interface FaultSpec {
  /** REST: answer this HTTP status instead of the route's answer. */
  readonly status?: number;
  /** gRPC: fail the call with this code. */
  readonly grpcCode?: Code;
  /** Wait this many milliseconds before the response headers. */
  readonly delayMs?: number;
  /** Streams: cut after this many chunks (REST) or messages (gRPC). */
  readonly cutAfter?: number;
  /** The error message; {@link defaultFaultMessage} when unset. */
  readonly message?: string;
}

/** A configured fault with the probability (0-1) that a request gets it. */
export interface FaultRule {
  /** Probability per request, 0 to 1. */
  readonly rate: number;
  /** The fault to apply. */
  readonly fault: FaultSpec;
}

/**
 * Faults by configuration (CLI flags). Per-request header faults need no configuration.
 */
export interface FaultConfig {
  /**
   * Rate-based faults. One uniform draw per request picks at most one rule: rule i is chosen when
   * the draw falls in its slice of [0, 1), so rates must add up to at most 1.
   */
  readonly rules?: readonly FaultRule[];
  /**
   * Slow start: the server answers "not ready" (readiness routes, gRPC health NOT_SERVING) for
   * this many milliseconds after it starts. Default 0.
   */
  readonly slowStartMs?: number;
  /** The random source for rate draws, in [0, 1); default `Math.random`. Tests pass a fixed one. */
  readonly random?: () => number;
}

/** A fault spec or rule that does not follow the grammar; the message says what is wrong. */
export class FaultSyntaxError extends Error {
  override readonly name = "FaultSyntaxError";
}

type Key = "status" | "grpc" | "delay-ms" | "cut-after" | "message" | "rate";
const keys: readonly Key[] = ["status", "grpc", "delay-ms", "cut-after", "message", "rate"];

function parseItems(text: string, allowRate: boolean): Map<Key, string> {
  const items = new Map<Key, string>();
  for (const raw of text.split(/[,;]/)) {
    const item = raw.trim();
    if (item === "") continue;
    const eq = item.indexOf("=");
    if (eq < 0) throw new FaultSyntaxError(`expected key=value, got '${item}'`);
    const key = item.slice(0, eq).trim().toLowerCase();
    const value = item.slice(eq + 1).trim();
    if (!(keys as readonly string[]).includes(key) || (key === "rate" && !allowRate)) {
      const known = keys.filter((k) => allowRate || k !== "rate").join(", ");
      throw new FaultSyntaxError(`unknown key '${key}' (known: ${known})`);
    }
    if (items.has(key as Key)) throw new FaultSyntaxError(`'${key}' given twice`);
    items.set(key as Key, value);
  }
  return items;
}

function integer(key: string, value: string, min: number, max: number): number {
  if (!/^\d+$/.test(value)) throw new FaultSyntaxError(`${key} must be an integer, got '${value}'`);
  const n = Number(value);
  if (n < min || n > max) throw new FaultSyntaxError(`${key} must be ${min}-${max}, got ${n}`);
  return n;
}

function specFrom(items: Map<Key, string>): FaultSpec {
  const spec: {
    status?: number;
    grpcCode?: Code;
    delayMs?: number;
    cutAfter?: number;
    message?: string;
  } = {};
  const status = items.get("status");
  if (status !== undefined) spec.status = integer("status", status, 400, 599);
  const grpc = items.get("grpc");
  if (grpc !== undefined) {
    const code = parseCode(grpc);
    if (code === undefined) {
      throw new FaultSyntaxError(`grpc must be a gRPC error code name or 1-16, got '${grpc}'`);
    }
    spec.grpcCode = code;
  }
  const delay = items.get("delay-ms");
  if (delay !== undefined) spec.delayMs = integer("delay-ms", delay, 0, maxFaultDelayMs);
  const cut = items.get("cut-after");
  if (cut !== undefined) spec.cutAfter = integer("cut-after", cut, 0, Number.MAX_SAFE_INTEGER);
  const message = items.get("message");
  if (message !== undefined) {
    try {
      spec.message = decodeURIComponent(message);
    } catch {
      throw new FaultSyntaxError(`message is not valid percent-encoding: '${message}'`);
    }
  }
  if (
    spec.status === undefined &&
    spec.grpcCode === undefined &&
    spec.delayMs === undefined &&
    spec.cutAfter === undefined
  ) {
    throw new FaultSyntaxError("names no fault (give status, grpc, delay-ms or cut-after)");
  }
  return spec;
}

/** Parses a header value such as `status=503, delay-ms=100`. Throws {@link FaultSyntaxError}. */
export function parseFault(text: string): FaultSpec {
  return specFrom(parseItems(text, false));
}

/**
 * Parses a configuration rule: the header grammar plus `rate=` (0-1, default 1), e.g.
 * `rate=0.1,status=503`. Throws {@link FaultSyntaxError}.
 */
export function parseFaultRule(text: string): FaultRule {
  const items = parseItems(text, true);
  const rateText = items.get("rate");
  items.delete("rate");
  const rate = rateText === undefined ? 1 : Number(rateText);
  if (rateText !== undefined && (!/^\d*\.?\d+$/.test(rateText) || rate > 1)) {
    throw new FaultSyntaxError(`rate must be a number from 0 to 1, got '${rateText}'`);
  }
  return { rate, fault: specFrom(items) };
}

/** Checks that the configured rates add up to at most 1. Throws {@link FaultSyntaxError}. */
export function validateFaultConfig(config: FaultConfig): void {
  let total = 0;
  for (const rule of config.rules ?? []) {
    if (!(rule.rate >= 0 && rule.rate <= 1)) {
      throw new FaultSyntaxError(`rate must be from 0 to 1, got ${rule.rate}`);
    }
    total += rule.rate;
  }
  if (total > 1 + 1e-9) throw new FaultSyntaxError(`fault rates add up to ${total}, more than 1`);
  const slow = config.slowStartMs ?? 0;
  if (!(Number.isFinite(slow) && slow >= 0)) {
    throw new FaultSyntaxError(`slow start must be a number of milliseconds >= 0, got ${slow}`);
  }
}

/**
 * The fault for one request: the header's when the request carries one (it wins over the
 * configuration), else at most one configured rule by a single draw. Throws
 * {@link FaultSyntaxError} for a malformed header.
 */
export function chooseFault(
  headerValue: string | undefined,
  config: FaultConfig | undefined,
): FaultSpec | undefined {
  if (headerValue !== undefined && headerValue.trim() !== "") return parseFault(headerValue);
  const rules = config?.rules;
  if (!rules || rules.length === 0) return undefined;
  const draw = (config.random ?? Math.random)();
  let edge = 0;
  for (const rule of rules) {
    edge += rule.rate;
    if (draw < edge) return rule.fault;
  }
  return undefined;
}

/**
 * The HTTP status a REST request fails with under this fault, or undefined when it does not fail
 * before its headers (no status or code, or a stream cut that decides instead).
 */
export function restFailureStatus(fault: FaultSpec): number | undefined {
  if (fault.cutAfter !== undefined) return undefined;
  if (fault.status !== undefined) return fault.status;
  return fault.grpcCode === undefined ? undefined : httpStatusFromCode(fault.grpcCode);
}

/**
 * The gRPC code a call fails with under this fault (the `grpc` code, else the one mapped from
 * `status`), or undefined when it does not fail with a status.
 */
export function grpcFailureCode(fault: FaultSpec): Code | undefined {
  if (fault.grpcCode !== undefined) return fault.grpcCode;
  return fault.status === undefined ? undefined : codeFromGrpcHttpStatus(fault.status);
}

/** The message an injected error carries. */
export function faultMessage(fault: FaultSpec): string {
  return fault.message ?? defaultFaultMessage;
}

/** Renders a spec back to the header grammar (for logs and the CLI's echo). */
export function formatFault(fault: FaultSpec): string {
  const parts: string[] = [];
  if (fault.status !== undefined) parts.push(`status=${fault.status}`);
  if (fault.grpcCode !== undefined) parts.push(`grpc=${grpcStatusName(fault.grpcCode)}`);
  if (fault.delayMs !== undefined) parts.push(`delay-ms=${fault.delayMs}`);
  if (fault.cutAfter !== undefined) parts.push(`cut-after=${fault.cutAfter}`);
  if (fault.message !== undefined) parts.push(`message=${encodeURIComponent(fault.message)}`);
  return parts.join(",");
}

/**
 * Thrown by {@link cutStream} where an injected cut ends a stream. Hosts turn it into the
 * protocol's abrupt end (a dropped connection, an HTTP/2 stream reset).
 */
export class StreamCutError extends Error {
  override readonly name = "StreamCutError";
  /** The fault that asked for the cut. */
  readonly fault: FaultSpec;
  constructor(fault: FaultSpec) {
    super(`stream cut after ${fault.cutAfter} chunks by fault injection`);
    this.fault = fault;
  }
}

/**
 * Passes a stream through, cutting it after `fault.cutAfter` items when the fault asks for a cut:
 * the first N items are yielded, then {@link StreamCutError} is thrown (and the source is closed,
 * so its resources are freed). Without a cut it yields the source unchanged.
 *
 * The gRPC host and plugins with fastify routes of their own wrap streamed answers with it
 * (`cutStream(ctx.restFault(request), chunks)`); route tables' REST streams are counted as they
 * are written instead (`writeStreamBody` in rest-route-table.ts), so the `cut-after` fault works
 * for every runtime's streams.
 */
export async function* cutStream<T>(
  fault: FaultSpec | undefined,
  source: AsyncIterable<T>,
): AsyncGenerator<T, void, undefined> {
  const limit = fault?.cutAfter;
  if (limit === undefined || fault === undefined) {
    yield* source;
    return;
  }
  let count = 0;
  if (limit === 0) throw new StreamCutError(fault);
  for await (const item of source) {
    yield item;
    count += 1;
    if (count >= limit) throw new StreamCutError(fault);
  }
}
