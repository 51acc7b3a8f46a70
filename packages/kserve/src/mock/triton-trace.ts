/**
 * Triton's trace extension (kserve-v2.md §3.1 "Trace `GET|POST /v2[/models/{m}]/trace/setting`";
 * server src/http_server.cc `HandleTrace`, docs/protocol/extension_trace.md): global and
 * per-model trace settings, read and updated over REST. The mock traces nothing; it keeps the
 * settings so a client reads back what it set.
 */
import { InferFault } from "./fault.js";

/** Trace settings as `HandleTrace` writes them (all values strings, the level an array). */
export interface TraceSettings {
  /** `["OFF"]`, or any of `TIMESTAMPS`, `TENSORS`. */
  readonly trace_level: readonly string[];
  /** One trace per this many requests. */
  readonly trace_rate: string;
  /** Traces left to collect, `-1` = no limit. */
  readonly trace_count: string;
  /** Traces per output file, `0` = write at shutdown. */
  readonly log_frequency: string;
  /** Output file (`""` = none given). */
  readonly trace_file: string;
  /** `triton` (the mode that writes `log_frequency` and `trace_file`). */
  readonly trace_mode: string;
}

/** tritonserver's defaults: tracing off, rate 1000, no count limit, log frequency 0, mode triton. */
export const defaultTraceSettings: TraceSettings = {
  trace_level: ["OFF"],
  trace_rate: "1000",
  trace_count: "-1",
  log_frequency: "0",
  trace_file: "",
  trace_mode: "triton",
};

const invalid = (message: string) => new InferFault("invalid", message);

/** A setting's string value; TritonJson's `AsString` refuses other JSON types (INTERNAL). */
function text(value: unknown): string {
  if (typeof value !== "string") {
    throw new InferFault("internal", "attempt to access JSON non-string as string");
  }
  return value;
}

/** C++ `std::stoi` on a setting: a leading integer, else undefined. */
function leadingInteger(value: string): number | undefined {
  const match = /^\s*[+-]?\d+/.exec(value);
  return match ? Number(match[0]) : undefined;
}

/** Global settings plus the models that have their own. */
export class TraceSettingsStore {
  #global: TraceSettings = defaultTraceSettings;
  readonly #models = new Map<string, TraceSettings>();

  /** A model's settings (its own, else the global ones), or the global ones. */
  get(model?: string): TraceSettings {
    return (model !== undefined ? this.#models.get(model) : undefined) ?? this.#global;
  }

  /**
   * Applies the settings a request names (`HandleTrace`): `trace_file` is UNSUPPORTED; a
   * `trace_level` array of `OFF` alone or `TIMESTAMPS` / `TENSORS`; `trace_rate`,
   * `trace_count` (at least -1) and `log_frequency` as integer strings, else INVALID_ARG with
   * Triton's `Unable to parse '<setting>', got: <v>`. A model's first update starts from the
   * global settings (extension_trace.md).
   */
  update(changes: Readonly<Record<string, unknown>>, model?: string): TraceSettings {
    const base = this.get(model);
    const next: { -readonly [K in keyof TraceSettings]: TraceSettings[K] } = { ...base };
    if (changes.trace_file !== undefined) {
      throw new InferFault(
        "unsupported",
        "trace file location can not be updated through network protocol",
      );
    }
    if (changes.trace_level !== undefined && changes.trace_level !== null) {
      if (!Array.isArray(changes.trace_level)) {
        throw new InferFault("internal", "attempt to access JSON non-array as array");
      }
      const levels = changes.trace_level.map(text);
      if (levels.includes("OFF")) {
        if (levels.length !== 1) throw invalid("Expect only one trace level 'OFF' is specified");
        next.trace_level = ["OFF"];
      } else {
        const known = ["TIMESTAMPS", "TENSORS"].filter((l) => levels.includes(l));
        if (known.length > 0) next.trace_level = known;
      }
    }
    const integer = (key: "trace_rate" | "trace_count" | "log_frequency", min: number) => {
      const value = changes[key];
      if (value === undefined || value === null) return;
      const raw = text(value);
      const parsed = leadingInteger(raw);
      if (parsed === undefined) throw invalid(`Unable to parse '${key}', got: ${raw}`);
      if (key === "trace_count" && parsed < min) {
        throw invalid(`Unable to parse 'trace_count'. Expecting value >= ${min}, got:${raw}`);
      }
      next[key] = String(parsed);
    };
    integer("trace_rate", 0);
    integer("trace_count", -1);
    integer("log_frequency", 0);
    if (model !== undefined) this.#models.set(model, next);
    else this.#global = next;
    return next;
  }
}
