import { describe, expect, it } from "vitest";
import { grownColumn, noSlot, RequestSlots } from "./request-slots.js";

describe("RequestSlots", () => {
  it("gives ids slots from 0, keeps an id's slot, reuses freed slots", () => {
    const slots = new RequestSlots();
    expect(slots.add("a")).toBe(0);
    expect(slots.add("b")).toBe(1);
    expect(slots.add("a")).toBe(0);
    expect(slots.get("b")).toBe(1);
    expect(slots.get("c")).toBe(noSlot);
    expect(slots.delete("a")).toBe(0);
    expect(slots.delete("a")).toBe(noSlot);
    expect(slots.idOf(0)).toBeUndefined();
    expect(slots.add("c")).toBe(0);
    expect(slots.idOf(0)).toBe("c");
    expect(slots.size).toBe(2);
    expect([...slots.ids()]).toEqual(["b", "c"]);
  });

  it("finds a token's slot by position whatever the order, never a freed or reused slot", () => {
    const slots = new RequestSlots();
    for (const id of ["a", "b", "c"]) slots.add(id);
    // Same order as the step before, then shifted (a request left), then reversed.
    for (const order of [
      ["a", "b", "c"],
      ["a", "b", "c"],
      ["b", "c"],
      ["c", "b", "a"],
    ])
      expect(order.map((id, i) => slots.at(i, id))).toEqual(order.map((id) => slots.get(id)));
    // "a" leaves and "d" takes its slot: position 2 last held "a" there.
    slots.delete("a");
    const d = slots.add("d");
    expect(d).toBe(0);
    expect(slots.at(2, "a")).toBe(noSlot);
    expect(slots.at(2, "d")).toBe(d);
    // An id that comes back (a new request with an old id) gets a slot of its own again.
    slots.delete("b");
    expect(slots.at(1, "b")).toBe(noSlot);
    const b = slots.add("b");
    expect(slots.at(1, "b")).toBe(b);
    // Equal strings that are different objects still match.
    const built = ["d"].join("");
    expect(slots.at(2, built)).toBe(d);
  });

  it("tells whether a slot carried with a token still holds its request", () => {
    // Issue 7: the dispatch reads each token's slot from the batch (StepTokens.hostSlot)
    // and checks it, as the request may have left and its slot gone to another since the step.
    const slots = new RequestSlots();
    const a = slots.add("a");
    expect(slots.holds(a, "a")).toBe(true);
    expect(slots.holds(a, ["a"].join(""))).toBe(true); // equal strings, different objects
    slots.delete("a");
    expect(slots.holds(a, "a")).toBe(false);
    expect(slots.add("b")).toBe(a);
    expect(slots.holds(a, "a")).toBe(false);
    expect(slots.holds(a, "b")).toBe(true);
    expect(slots.holds(noSlot, "b")).toBe(false);
    expect(slots.holds(99, "b")).toBe(false);
  });
});

describe("grownColumn", () => {
  it("keeps the column while the slot fits, else doubles it and keeps the values", () => {
    const column = new Float64Array(16);
    column[3] = 2.5;
    expect(grownColumn(column, 15)).toBe(column);
    const grown = grownColumn(column, 40);
    expect(grown).toBeInstanceOf(Float64Array);
    expect(grown.length).toBe(64);
    expect(grown[3]).toBe(2.5);
    expect(grownColumn(new Int32Array(0), 0).length).toBe(16);
  });
});
