import { describe, expect, test } from "vitest";
import { BoundedMemo } from "./bounded-memo.js";

describe("BoundedMemo", () => {
  test("computes a key once and answers it from memory after", () => {
    const memo = new BoundedMemo<string>(8);
    let calls = 0;
    const upper = (key: string) => () => {
      calls += 1;
      return key.toUpperCase();
    };
    expect(memo.get("a", upper("a"))).toBe("A");
    expect(memo.get("a", upper("a"))).toBe("A");
    expect(calls).toBe(1);
    expect(memo.size).toBe(1);
  });

  test("takes number keys (inputs packed into one number)", () => {
    const memo = new BoundedMemo<string, number>(4);
    const pack = (a: number, b: number) => a * 2 ** 21 + b;
    expect(memo.get(pack(5, 7), () => "5,7")).toBe("5,7");
    expect(memo.get(pack(7, 5), () => "7,5")).toBe("7,5");
    expect(memo.get(pack(5, 7), () => "again")).toBe("5,7");
  });

  test("peek answers only what is kept; remember keeps a value within the budget", () => {
    const memo = new BoundedMemo<string, number>(4, (_key, value) => value.length);
    expect(memo.peek(1)).toBeUndefined();
    expect(memo.remember(1, "")).toBe("");
    expect(memo.peek(1)).toBe(""); // an empty string is kept and found
    expect(memo.remember(2, "abc")).toBe("abc"); // heavier than half the budget: not kept
    expect(memo.peek(2)).toBeUndefined();
    expect(memo.get(1, () => "computed")).toBe("");
  });

  test("keeps a falsy value (an empty string is a result too)", () => {
    const memo = new BoundedMemo<string>(8);
    let calls = 0;
    for (let i = 0; i < 3; i++) {
      memo.get("x", () => {
        calls += 1;
        return "";
      });
    }
    expect(calls).toBe(1);
  });

  test("when full, drops the oldest entries down to half the budget; the weight never passes it", () => {
    const memo = new BoundedMemo<string>(8);
    for (let i = 0; i < 100; i++) {
      memo.get(`k${i}`, () => `v${i}`);
      expect(memo.weight).toBeLessThanOrEqual(8);
      expect(memo.size).toBe(memo.weight);
    }
    // The newest are kept, the oldest recomputed.
    let computed = 0;
    memo.get("k99", () => `${computed++}`);
    memo.get("k0", () => `${computed++}`);
    expect(computed).toBe(1);
  });

  test("weights entries by what they hold, and does not keep one heavier than half the budget", () => {
    const memo = new BoundedMemo<string>(100, (key, value) => key.length + value.length);
    for (let i = 0; i < 50; i++) {
      memo.get(`key-${i}`, () => "x".repeat(i));
      expect(memo.weight).toBeLessThanOrEqual(100);
    }
    let calls = 0;
    const heavy = () => {
      calls += 1;
      return "y".repeat(60);
    };
    expect(memo.get("big", heavy)).toBe("y".repeat(60));
    expect(memo.get("big", heavy)).toBe("y".repeat(60));
    expect(calls).toBe(2);
    expect(memo.weight).toBeLessThanOrEqual(100);
  });
});
