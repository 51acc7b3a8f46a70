/**
 * Reading JSON from servers that write non-finite floats as bare words: Python's `json.dumps`
 * (Caikit, caikit-tgis.md §1.4; TGIS gives the first input token a NaN logprob) and rapidjson
 * with `kWriteNanAndInfFlag` (Triton's common `triton_json.h`; the vLLM backend's
 * `cumulative_logprob` is NaN unless logprobs were asked) write `NaN`, `Infinity` and
 * `-Infinity`, which `JSON.parse` refuses. Such text is read with `json5` (a superset of JSON that
 * has those words); everything else with `JSON.parse`, which is many times faster.
 */
import JSON5 from "json5";

/** Whether a text may hold one of the words only JSON5 reads (checked after JSON.parse failed). */
const nonFiniteWord = /NaN|Infinity/;

/**
 * Parses a JSON text, bare `NaN`, `Infinity` and `-Infinity` read as numbers (words inside
 * strings untouched). Throws `JSON.parse`'s `SyntaxError` for text that is not JSON for another
 * reason. Cost: `JSON.parse`'s, plus about 40 µs for a small text that holds a bare word.
 */
export function parseJsonWithNonFinite(text: string): unknown {
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
