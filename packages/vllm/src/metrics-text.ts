/**
 * `/metrics` read back: the Prometheus text exposition format (version 0.0.4, what vLLM's
 * prometheus_client writes, vllm-openai.md §8) parsed into samples with their family's type, and
 * a lookup of one sample's value by name and labels. Written here because the npm parser tried
 * (`parse-prometheus-text-format` 1.1.1) drops the labels, `_sum` and `_count` of labelled
 * histograms, which is every vLLM histogram.
 */

/** A metric family's declared type (`# TYPE`); `untyped` when none was declared. */
export type MetricType = "counter" | "gauge" | "histogram" | "summary" | "untyped";

/** One sample line: `name{labels} value`. */
export interface MetricSample {
  /** The sample's own name (`..._bucket`, `..._sum`, `..._count`, `..._total` included). */
  readonly name: string;
  /** The family it belongs to (the `# TYPE` name), and that family's type. */
  readonly family: string;
  readonly type: MetricType;
  readonly labels: Readonly<Record<string, string>>;
  /** The value; `+Inf`, `-Inf` and `NaN` as JavaScript numbers. */
  readonly value: number;
}

const sampleLine =
  /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+([+-]?Inf|NaN|[+-]?[0-9][0-9.eE+-]*|[+-]?\.[0-9][0-9eE+-]*)(\s+-?[0-9]+)?$/;
const label = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?/y;
const suffixes = ["_bucket", "_sum", "_count", "_total", "_created"];

function unescapeLabel(text: string): string {
  return text.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
}

function parseLabels(text: string | undefined): Record<string, string> | undefined {
  const labels: Record<string, string> = {};
  if (text === undefined) return labels;
  label.lastIndex = 0;
  while (label.lastIndex < text.length) {
    const match = label.exec(text);
    if (!match) return text.slice(label.lastIndex).trim() === "" ? labels : undefined;
    labels[match[1] as string] = unescapeLabel(match[2] as string);
  }
  return labels;
}

function numberOf(text: string): number {
  if (text === "+Inf") return Number.POSITIVE_INFINITY;
  if (text === "-Inf") return Number.NEGATIVE_INFINITY;
  return Number(text);
}

/** Parses Prometheus text; lines it cannot read are skipped. */
export function parseMetrics(text: string): MetricSample[] {
  const types = new Map<string, MetricType>();
  const samples: MetricSample[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "") continue;
    if (line.startsWith("#")) {
      const match = /^#\s+TYPE\s+(\S+)\s+(\S+)/.exec(line);
      if (match) types.set(match[1] as string, match[2] as MetricType);
      continue;
    }
    const match = sampleLine.exec(line);
    const labels = match ? parseLabels(match[3]) : undefined;
    if (!match || !labels) continue;
    const name = match[1] as string;
    const family =
      [name, ...suffixes.filter((s) => name.endsWith(s)).map((s) => name.slice(0, -s.length))].find(
        (candidate) => types.has(candidate),
      ) ?? name;
    samples.push({
      name,
      family,
      type: types.get(family) ?? "untyped",
      labels,
      value: numberOf(match[4] as string),
    });
  }
  return samples;
}

/**
 * The value of the first sample named `name` whose labels include `labels`, or undefined (e.g.
 * `metricValue(samples, "vllm:e2e_request_latency_seconds_count", { model_name: "granite" })`).
 */
export function metricValue(
  samples: readonly MetricSample[],
  name: string,
  labels: Readonly<Record<string, string>> = {},
): number | undefined {
  return samples.find(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  )?.value;
}
