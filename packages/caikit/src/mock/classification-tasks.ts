/**
 * The classification tasks of caikit-nlp, for models the mock loads with `SequenceClassification`
 * (text classification) and `FilteredSpanClassification` (token classification), with caikit's
 * result shapes (keys in declaration order) and deterministic, meaningful scores: a small
 * sentiment lexicon decides between the labels of an SST-2 style model, softmaxed as the module
 * does, rounded to float32 as torch returns them. Pure; REST and gRPC both call it.
 *
 * Sources: caikit-nlp `modules/text_classification/sequence_classification.py` (one result per
 * label in the model's id2label order, softmax scores), `modules/token_classification/
 * filtered_span_classification.py` (text split into spans, each span classified, results whose
 * score is >= the threshold, the config's default threshold when none is given, empty text → no
 * results), caikit-tgis.md §2.4 (ClassificationResult, TokenClassificationResult fields).
 */
import { PyFloat } from "./python-json.js";

/** The labels of the mock's classifier, in id2label order (an SST-2 sentiment model's). */
export const classificationLabels = ["NEGATIVE", "POSITIVE"] as const;

/**
 * The mock's FilteredSpanClassification `default_threshold` (a model's config value; 0.5 keeps
 * the winning label of each span).
 */
export const defaultTokenClassificationThreshold = 0.5;

/** ClassificationResult: `{label, score}`. */
export interface ClassificationJson {
  readonly label: string;
  readonly score: PyFloat;
}

/** ClassificationResults: `{results}`. */
export interface ClassificationResultsJson {
  readonly results: readonly ClassificationJson[];
}

/** TokenClassificationResult, keys in caikit's order; unset fields are null. */
export interface TokenClassificationJson {
  readonly start: number;
  readonly end: number;
  readonly word: string;
  readonly entity: string;
  readonly entity_group: null;
  readonly score: PyFloat;
  readonly token_count: null;
}

/** TokenClassificationResults: `{results}`. */
export interface TokenClassificationResultsJson {
  readonly results: readonly TokenClassificationJson[];
}

const positiveWords = new Set(
  "good great love loved lovely like liked excellent amazing wonderful happy best fine nice awesome fantastic enjoy enjoyed glad beautiful perfect pleasant brilliant superb delightful".split(
    " ",
  ),
);
const negativeWords = new Set(
  "bad terrible awful hate hated horrible worst poor sad ugly boring broken wrong angry disappointing disappointed annoying useless slow fail failed failure nasty dreadful".split(
    " ",
  ),
);

/** FNV-1a over the text: a small deterministic lean for texts without sentiment words. */
function lean(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return ((hash >>> 0) / 0xffffffff - 0.5) * 0.8;
}

/**
 * The positive-minus-negative logit of `text`: 1.5 per sentiment word (a "not"/"never"/"no"
 * right before one flips it), plus a small deterministic lean.
 */
function sentimentLogit(text: string): number {
  const words = text.toLowerCase().match(/[a-z']+/g) ?? [];
  let logit = lean(text.toLowerCase());
  words.forEach((word, index) => {
    const sign = positiveWords.has(word) ? 1 : negativeWords.has(word) ? -1 : 0;
    if (sign === 0) return;
    const previous = words[index - 1];
    const negated = previous === "not" || previous === "never" || previous === "no";
    logit += (negated ? -sign : sign) * 1.5;
  });
  return logit;
}

/** Softmax scores of the two labels, float32 as torch gives them. */
function labelScores(text: string): readonly [number, number] {
  const positive = 1 / (1 + Math.exp(-sentimentLogit(text)));
  return [Math.fround(1 - positive), Math.fround(positive)];
}

/** `TextClassificationTaskPredict`: one result per label, in the model's label order. */
export function textClassification(text: string): ClassificationResultsJson {
  const scores = labelScores(text);
  return {
    results: classificationLabels.map((label, index) => ({
      label,
      score: new PyFloat(scores[index] ?? 0),
    })),
  };
}

/** A span of text with code point offsets (Python string indexes). */
interface Span {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

/** Sentence spans: runs up to `.`, `!`, `?` or a newline, leading blanks skipped. */
export function sentenceSpans(text: string): Span[] {
  const points = Array.from(text);
  const spans: Span[] = [];
  let start = -1;
  const close = (end: number) => {
    if (start >= 0) spans.push({ start, end, text: points.slice(start, end).join("") });
    start = -1;
  };
  for (const [index, point] of points.entries()) {
    if (point === "\n") {
      close(index);
    } else if (start >= 0 || !/\s/.test(point)) {
      if (start < 0) start = index;
      const next = points[index + 1];
      if (/[.!?]/.test(point) && (next === undefined || !/[.!?]/.test(next))) close(index + 1);
    }
  }
  close(points.length);
  return spans.map((span) => {
    const trimmed = span.text.trimEnd();
    return { ...span, end: span.start + Array.from(trimmed).length, text: trimmed };
  });
}

/**
 * `TokenClassificationTaskPredict` over FilteredSpanClassification with a text classifier: each
 * sentence span classified, every label whose score is >= `threshold` reported for the span.
 *
 * @param threshold default {@link defaultTokenClassificationThreshold}
 */
export function tokenClassification(
  text: string,
  threshold: number | null = null,
): TokenClassificationResultsJson {
  const limit = threshold ?? defaultTokenClassificationThreshold;
  if (text === "") return { results: [] };
  return { results: sentenceSpans(text).flatMap((span) => spanResults(span, limit)) };
}

/** One result per label whose score for `span` is at least `limit`, in label order. */
function spanResults(span: Span, limit: number): TokenClassificationJson[] {
  const scores = labelScores(span.text);
  return classificationLabels.flatMap((label, index) => {
    const score = scores[index] ?? 0;
    if (score < limit) return [];
    return [
      {
        start: span.start,
        end: span.end,
        word: span.text,
        entity: label,
        entity_group: null,
        score: new PyFloat(score),
        token_count: null,
      },
    ];
  });
}

/** TokenClassificationStreamResult: `{results, processed_index}`. */
export interface TokenClassificationStreamJson {
  readonly results: readonly TokenClassificationJson[];
  readonly processed_index: number;
}

/**
 * The spans of a text stream as FilteredSpanClassification's `_stream_span_output` finds them:
 * the accumulated text is split again from the end of the last span given out (+1), and a span
 * is given out once a later one starts; at the end the rest follow. Offsets are moved as the
 * module moves them: a span starting before the current offset starts at it, keeping its length.
 */
async function* streamSpans(chunks: AsyncIterable<string>): AsyncGenerator<Span> {
  let accumulated = "";
  let offset = 0;
  let detected: Span[] = [];
  const place = (span: Span): Span =>
    span.start < offset
      ? { start: offset, end: offset + (span.end - span.start), text: span.text }
      : span;
  for await (const chunk of chunks) {
    accumulated += chunk;
    detected = sentenceSpans(Array.from(accumulated).slice(offset).join(""));
    if (detected.length > 1) {
      const first = place(detected.shift() as Span);
      yield first;
      offset = first.end + 1;
    }
  }
  for (const span of detected) yield place(span);
}

/**
 * The bidi `BidiStreamingTokenClassificationTaskPredict` of FilteredSpanClassification
 * (`run_bidi_stream`): per span, one message per label at or above `threshold` with
 * `processed_index` = the span's end, or one empty message at the span's end when none reaches
 * it; an empty stream answers one empty message at 0.
 */
export async function* tokenClassificationStream(
  chunks: AsyncIterable<string>,
  threshold: number | null = null,
): AsyncGenerator<TokenClassificationStreamJson> {
  const limit = threshold ?? defaultTokenClassificationThreshold;
  let received = 0;
  async function* counted(): AsyncGenerator<string> {
    for await (const chunk of chunks) {
      received += 1;
      yield chunk;
    }
  }
  for await (const span of streamSpans(counted())) {
    const results = spanResults(span, limit);
    for (const result of results) yield { results: [result], processed_index: span.end };
    if (results.length === 0) yield { results: [], processed_index: span.end };
  }
  if (received === 0) yield { results: [], processed_index: 0 };
}
