/**
 * The `--requests FILE` format of `servingkit simulate`: one JSON object per line with the token
 * counts of a request, read into simulator requests. Pure: the caller reads the file.
 */
import type { SimulatedRequest } from "@servingkit/mock-core";

/** A line of a requests file that cannot be used; `message` names the line. */
export class RequestsFileError extends Error {
  override readonly name = "RequestsFileError";
}

/**
 * Parses JSONL text: each non-blank line is an object with `prompt_tokens` (whole number ≥ 1)
 * and `output_tokens` (whole number ≥ 1), and optionally `arrival` (seconds from the start,
 * ≥ 0; default 0), `priority` (integer, lower first under `--scheduling-policy priority`),
 * `n` (parallel sampling: completions of the prompt, whole number ≥ 1), `lora` (the LoRA
 * adapter's name, non-empty) and `id` (string; default `line-N`). Unknown keys are ignored. Throws {@link RequestsFileError}
 * naming the first bad line, or when there is no request at all.
 */
export function parseRequestsJsonl(text: string, where = "requests file"): SimulatedRequest[] {
  const requests: SimulatedRequest[] = [];
  const ids = new Set<string>();
  const lines = text.split(/\r?\n/);
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === "") continue;
    const at = `${where}:${index + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new RequestsFileError(`${at}: not JSON (${(error as Error).message})`);
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw new RequestsFileError(`${at}: expected a JSON object`);
    }
    const record = value as Record<string, unknown>;
    const count = (key: string) => {
      const n = record[key];
      if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 1) {
        throw new RequestsFileError(`${at}: "${key}" must be a whole number ≥ 1`);
      }
      return n;
    };
    const prompt = count("prompt_tokens");
    const outputTokens = count("output_tokens");
    const { arrival, priority, id, n, lora } = record;
    if (
      arrival !== undefined &&
      !(typeof arrival === "number" && arrival >= 0 && Number.isFinite(arrival))
    ) {
      throw new RequestsFileError(`${at}: "arrival" must be seconds ≥ 0`);
    }
    if (
      priority !== undefined &&
      !(typeof priority === "number" && Number.isSafeInteger(priority))
    ) {
      throw new RequestsFileError(`${at}: "priority" must be an integer`);
    }
    if (n !== undefined && !(typeof n === "number" && Number.isSafeInteger(n) && n >= 1)) {
      throw new RequestsFileError(`${at}: "n" must be a whole number ≥ 1`);
    }
    if (lora !== undefined && !(typeof lora === "string" && lora !== "")) {
      throw new RequestsFileError(`${at}: "lora" must be an adapter's name (a non-empty string)`);
    }
    if (id !== undefined && typeof id !== "string") {
      throw new RequestsFileError(`${at}: "id" must be a string`);
    }
    const name = id ?? `line-${index + 1}`;
    if (ids.has(name)) throw new RequestsFileError(`${at}: id "${name}" is used twice`);
    ids.add(name);
    requests.push({
      id: name,
      prompt,
      outputTokens,
      ...(arrival === undefined ? {} : { arrival }),
      ...(priority === undefined ? {} : { priority }),
      ...(n === undefined ? {} : { n }),
      ...(lora === undefined ? {} : { lora }),
    });
  }
  if (requests.length === 0) throw new RequestsFileError(`${where}: no requests in it`);
  return requests;
}
