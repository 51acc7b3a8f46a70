/**
 * Reading the JSON Triton writes. Its writer (common `triton_json.h`, rapidjson with
 * `kWriteNanAndInfFlag`) puts non-finite floats out as the bare words `NaN`, `Infinity` and
 * `-Infinity`, which `JSON.parse` refuses: the vLLM backend's `cumulative_logprob` is NaN unless
 * logprobs were asked. Such text is read with `json5` (a superset of JSON that has those words);
 * everything else with `JSON.parse`, which is many times faster.
 */
import JSON5 from "json5";

/** Whether a text may hold one of the words only JSON5 reads (checked after JSON.parse failed). */
const nonFiniteWord = /NaN|Infinity/;

/**
 * Parses a JSON text from Triton, bare `NaN`, `Infinity` and `-Infinity` read as numbers.
 * Throws the `JSON.parse` error for text that is not JSON for another reason.
 */
export function parseTritonJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    if (!nonFiniteWord.test(text)) throw error;
    try {
      return JSON5.parse(text);
    } catch {
      throw error;
    }
  }
}
