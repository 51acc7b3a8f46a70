/**
 * How a mock host reads a JSON request body: one rule for the fastify host and for hosts that
 * read bytes themselves (msw, through `hostBody`).
 */
import type { BodyError } from "./plugin.js";

/**
 * An `application/json` body as every host reads it: empty is `undefined`, malformed JSON is a
 * {@link BodyError} (with the parser's message) for the runtime's `bodyError` hook.
 */
export function parseJsonBody(
  bytes: Buffer,
): { readonly body: unknown } | { readonly error: BodyError } {
  if (bytes.length === 0) return { body: undefined };
  try {
    return { body: JSON.parse(bytes.toString("utf8")) };
  } catch (error) {
    return { error: { kind: "malformed-json", detail: (error as Error).message, body: bytes } };
  }
}
