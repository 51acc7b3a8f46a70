import assert from "node:assert/strict";
import type { CannedReply } from "@servingkit/mock-core";
import type { RestAnswer } from "../contract-case.js";

/**
 * Asserts that an HTTP answer is the reply the real server sends: same status, same body bytes,
 * and every header the catalog names (media types compared without parameters, so a proxy
 * adding `; charset=utf-8` does not fail the case, but a JSON body where text was expected does).
 */
export function assertReply(answer: RestAnswer, expected: CannedReply, what: string): void {
  assert.equal(answer.status, expected.status, `${what}: status`);
  assert.equal(answer.body, expected.body, `${what}: body`);
  for (const [name, value] of Object.entries(expected.headers ?? {})) {
    const actual = answer.headers.get(name);
    if (name === "content-type") {
      assert.equal(mediaType(actual), mediaType(value), `${what}: ${name} header`);
    } else {
      assert.equal(actual, value, `${what}: ${name} header`);
    }
  }
}

function mediaType(value: string | null): string | null {
  return value === null ? null : (value.split(";")[0]?.trim().toLowerCase() ?? "");
}
