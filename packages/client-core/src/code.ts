import { Code } from "@connectrpc/connect";

/**
 * The closed set of error codes every servingkit error carries: the 16 gRPC status codes (OK is
 * never an error, so it is absent), re-exported from `@connectrpc/connect` so that a
 * `ServingkitError.code` and a `ConnectError.code` compare equal without a conversion. Three of
 * the four protocol families servingkit speaks are gRPC, and REST statuses map onto these codes
 * through one table (see `codeFromHttpStatus`).
 */
export { Code };

/**
 * The snake_case name of a code (`Code.DeadlineExceeded` -> `"deadline_exceeded"`), the spelling
 * connect and the gRPC docs use in messages. Every `ServingkitError` message starts with it in
 * brackets (`[unavailable] ...`) so that logs and devtools show the code first.
 */
export function codeName(code: Code): string {
  const name = Code[code];
  if (name === undefined) {
    return `code_${String(code)}`;
  }
  return name.replace(/[A-Z]/g, (letter, offset: number) =>
    offset === 0 ? letter.toLowerCase() : `_${letter.toLowerCase()}`,
  );
}

/**
 * The code for a snake_case name (`"unavailable"` -> `Code.Unavailable`), or `undefined` when the
 * name is not one of the 16 codes. The inverse of {@link codeName}; it lets text formats (JSON
 * error bodies, test fixtures, CLI flags) name codes the way the gRPC docs spell them.
 */
export function codeFromName(name: string): Code | undefined {
  for (const value of Object.values(Code)) {
    if (typeof value === "number" && codeName(value) === name) {
      return value;
    }
  }
  return undefined;
}

/**
 * The name of a gRPC status as the gRPC specification and tools such as grpcurl spell it
 * (`Code.Unavailable` -> `"UNAVAILABLE"`, `Code.Canceled` -> `"CANCELLED"`, and `0` -> `"OK"`,
 * which is a status but not an error code), for logs and for text a person reads beside gRPC's
 * own output.
 */
export function grpcStatusName(code: Code | 0): string {
  if (code === 0) return "OK";
  return code === Code.Canceled ? "CANCELLED" : codeName(code).toUpperCase();
}

/**
 * Reads a code a person typed (a CLI flag, a fault header): any spelling of the name
 * (`UNAVAILABLE`, `unavailable`, `Unavailable`, `DeadlineExceeded`, `deadline-exceeded`, and both
 * `CANCELED` and `CANCELLED`) or the number (`14`). Returns `undefined` for OK (0), which is not an
 * error, and for anything else that is not one of the 16 codes.
 */
export function parseCode(text: string): Code | undefined {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) {
    const n = Number(trimmed);
    return n >= 1 && n <= 16 ? (n as Code) : undefined;
  }
  const snake = trimmed
    .replace(/([a-z])([A-Z])/g, "$1_$2")
    .replace(/-/g, "_")
    .toLowerCase();
  return codeFromName(snake === "cancelled" ? "canceled" : snake);
}
