import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import {
  chooseFault,
  cutStream,
  FaultSyntaxError,
  formatFault,
  grpcFailureCode,
  parseFault,
  parseFaultRule,
  restFailureStatus,
  StreamCutError,
  validateFaultConfig,
} from "./fault.js";

describe("the x-servingkit-fault grammar", () => {
  it("reads every key, with , or ; between items and spaces anywhere", () => {
    expect(parseFault("status=503")).toEqual({ status: 503 });
    expect(parseFault(" grpc = UNAVAILABLE ; delay-ms=200, cut-after=3,message=a%2Cb ")).toEqual({
      grpcCode: Code.Unavailable,
      delayMs: 200,
      cutAfter: 3,
      message: "a,b",
    });
  });

  it("accepts gRPC codes by any spelling or number", () => {
    for (const text of ["UNAVAILABLE", "unavailable", "Unavailable", "14"]) {
      expect(parseFault(`grpc=${text}`).grpcCode).toBe(Code.Unavailable);
    }
    expect(parseFault("grpc=CANCELED").grpcCode).toBe(Code.Canceled);
    expect(parseFault("grpc=resource-exhausted").grpcCode).toBe(Code.ResourceExhausted);
  });

  it("rejects what it cannot honour, saying why", () => {
    const cases: [string, RegExp][] = [
      ["", /names no fault/],
      ["message=hi", /names no fault/],
      ["status", /expected key=value/],
      ["status=200", /400-599/],
      ["status=5xx", /integer/],
      ["grpc=OK", /gRPC error code/],
      ["grpc=17", /gRPC error code/],
      ["delay-ms=-1", /integer/],
      ["delay-ms=600001", /0-600000/],
      ["cut-after=1.5", /integer/],
      ["rate=0.5", /unknown key 'rate'/],
      ["status=500,status=503", /given twice/],
      ["message=%E0%A4%A,status=500", /percent-encoding/],
    ];
    for (const [text, reason] of cases) {
      expect(() => parseFault(text), text).toThrow(FaultSyntaxError);
      expect(() => parseFault(text), text).toThrow(reason);
    }
  });

  it("rules add rate=, default 1, from 0 to 1", () => {
    expect(parseFaultRule("rate=0.1,status=503")).toEqual({ rate: 0.1, fault: { status: 503 } });
    expect(parseFaultRule("delay-ms=5")).toEqual({ rate: 1, fault: { delayMs: 5 } });
    expect(parseFaultRule("rate=.5,grpc=INTERNAL").rate).toBe(0.5);
    for (const bad of ["rate=1.5,status=500", "rate=-0.1,status=500", "rate=x,status=500"]) {
      expect(() => parseFaultRule(bad), bad).toThrow(/rate must be/);
    }
  });

  it("formats back to the grammar", () => {
    const spec = parseFault("status=429,grpc=8,delay-ms=10,cut-after=2,message=slow%20down");
    expect(formatFault(spec)).toBe(
      "status=429,grpc=RESOURCE_EXHAUSTED,delay-ms=10,cut-after=2,message=slow%20down",
    );
    expect(parseFault(formatFault(spec))).toEqual(spec);
  });
});

describe("what a fault does on each protocol", () => {
  it("status alone fails gRPC too, mapped as envoy maps it; grpc alone fails REST", () => {
    // envoy source/common/grpc/status.cc: 503 → UNAVAILABLE; UNAVAILABLE → 503, NOT_FOUND → 404.
    expect(grpcFailureCode({ status: 503 })).toBe(Code.Unavailable);
    expect(grpcFailureCode({ status: 401 })).toBe(Code.Unauthenticated);
    expect(restFailureStatus({ grpcCode: Code.Unavailable })).toBe(503);
    expect(restFailureStatus({ grpcCode: Code.NotFound })).toBe(404);
    expect(restFailureStatus({ status: 418, grpcCode: Code.Internal })).toBe(418);
  });

  it("delay and cut alone do not fail before the headers", () => {
    expect(restFailureStatus({ delayMs: 5 })).toBeUndefined();
    expect(grpcFailureCode({ delayMs: 5 })).toBeUndefined();
    expect(restFailureStatus({ cutAfter: 1, status: 500 })).toBeUndefined();
  });
});

describe("chooseFault", () => {
  const config = {
    rules: [
      { rate: 0.1, fault: { status: 500 } },
      { rate: 0.2, fault: { status: 503 } },
    ],
  };

  it("one draw picks at most one rule by its slice of [0, 1)", () => {
    const pick = (draw: number) => chooseFault(undefined, { ...config, random: () => draw });
    expect(pick(0)).toEqual({ status: 500 });
    expect(pick(0.0999)).toEqual({ status: 500 });
    expect(pick(0.1)).toEqual({ status: 503 });
    expect(pick(0.2999)).toEqual({ status: 503 });
    expect(pick(0.3001)).toBeUndefined();
  });

  it("the header wins; a blank header is no header", () => {
    expect(chooseFault("status=418", { ...config, random: () => 0 })).toEqual({ status: 418 });
    expect(chooseFault("  ", { ...config, random: () => 0 })).toEqual({ status: 500 });
    expect(chooseFault(undefined, undefined)).toBeUndefined();
  });

  it("validates configured rates and slow start", () => {
    expect(() => validateFaultConfig(config)).not.toThrow();
    expect(() =>
      validateFaultConfig({
        rules: [
          { rate: 0.7, fault: {} },
          { rate: 0.7, fault: {} },
        ],
      }),
    ).toThrow(/add up to 1.4/);
    expect(() => validateFaultConfig({ slowStartMs: -1 })).toThrow(/slow start/);
  });
});

describe("cutStream", () => {
  async function* numbers(log: string[]) {
    try {
      for (let i = 0; i < 5; i++) yield i;
    } finally {
      log.push("source closed");
    }
  }

  async function drain<T>(it: AsyncIterable<T>): Promise<{ items: T[]; error?: unknown }> {
    const items: T[] = [];
    try {
      for await (const item of it) items.push(item);
      return { items };
    } catch (error) {
      return { items, error };
    }
  }

  it("passes a stream through unchanged without a cut", async () => {
    const log: string[] = [];
    expect(await drain(cutStream(undefined, numbers(log)))).toEqual({ items: [0, 1, 2, 3, 4] });
    expect(await drain(cutStream({ status: 500 }, numbers(log)))).toEqual({
      items: [0, 1, 2, 3, 4],
    });
  });

  it("yields N items, then throws StreamCutError and closes the source", async () => {
    const log: string[] = [];
    const { items, error } = await drain(cutStream({ cutAfter: 2 }, numbers(log)));
    expect(items).toEqual([0, 1]);
    expect(error).toBeInstanceOf(StreamCutError);
    expect((error as StreamCutError).fault).toEqual({ cutAfter: 2 });
    expect(log).toEqual(["source closed"]);
  });

  it("cut-after=0 cuts before the first item; a short stream ends normally", async () => {
    const log: string[] = [];
    expect((await drain(cutStream({ cutAfter: 0 }, numbers(log)))).items).toEqual([]);
    expect(await drain(cutStream({ cutAfter: 10 }, numbers(log)))).toEqual({
      items: [0, 1, 2, 3, 4],
    });
  });
});
