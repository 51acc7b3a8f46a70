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
