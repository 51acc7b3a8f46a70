/**
 * Reading the error envelopes of the runtimes servingkit talks to, in one place, so that an HTTP
 * error response and an in-band SSE error event yield the same message. Pure: no I/O.
 */

/** What an error body says about itself. */
export interface ErrorBodyFacts {
  /** The human-readable message, when the body carries one. */
  readonly message?: string;
  /** An HTTP status the body states (vLLM's and caikit's integer `code`), when in 100..599. */
  readonly status?: number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function asStatus(value: unknown): number | undefined {
  return typeof value === "number" && Number.isInteger(value) && value >= 100 && value <= 599
    ? value
    : undefined;
}

function asMessage(value: unknown): string | undefined {
  if (typeof value === "string") {
    return value.length > 0 ? value : undefined;
  }
  if (Array.isArray(value)) {
    // FastAPI validation errors: [{"loc": [...], "msg": "...", "type": "..."}]
    const messages = value
      .map((item) => (isRecord(item) && typeof item.msg === "string" ? item.msg : undefined))
      .filter((message): message is string => message !== undefined);
    return messages.length > 0 ? messages.join("; ") : JSON.stringify(value);
  }
  return undefined;
}

/**
 * Pulls the message and stated status out of an error body, whichever runtime sent it:
 * - vLLM >= 0.10.1 and OpenAI: `{"error": {"message": "...", "code": 400}}` (vllm-openai.md §3);
 * - vLLM <= 0.10.0: `{"object": "error", "message": "...", "code": 400}`;
 * - vLLM auth, KServe v2 servers (Triton, OVMS, MLServer): `{"error": "..."}` (kserve-v2.md §3);
 * - caikit: `{"details": "...", "code": 400, "id": "..."}`; FastAPI: `{"detail": ...}`
 *   (caikit-tgis.md §1.7);
 * - plain text bodies such as kube-rbac-proxy's `Unauthorized\n` (kserve-v2.md §5): the text.
 * Anything else yields no message, and the caller falls back to the HTTP status line.
 */
export function describeErrorBody(body: unknown): ErrorBodyFacts {
  if (typeof body === "string") {
    const text = body.trim();
    return text.length > 0 ? { message: text } : {};
  }
  if (!isRecord(body)) {
    return {};
  }
  const nested = body.error;
  if (isRecord(nested)) {
    const message = asMessage(nested.message) ?? asMessage(body.message);
    const status = asStatus(nested.code) ?? asStatus(body.code);
    return { ...(message !== undefined && { message }), ...(status !== undefined && { status }) };
  }
  const message =
    asMessage(nested) ??
    asMessage(body.message) ??
    asMessage(body.details) ??
    asMessage(body.detail);
  const status = asStatus(body.code);
  return { ...(message !== undefined && { message }), ...(status !== undefined && { status }) };
}
