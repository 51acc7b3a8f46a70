import { describe, expect, it } from "vitest";
import { addCpu, type CpuAccount, cpuNote } from "./measurement.js";

describe("cpuNote", () => {
  const account: CpuAccount = {
    server: { userUs: 1_000_000, systemUs: 1_200_000 },
    client: { userUs: 600_000, systemUs: 800_000 },
    events: 100_000,
    seconds: 2,
  };

  it("gives µs per event, user and sys, the cores busy, and what the cores could carry", () => {
    // 2.2 s of server CPU over 100,000 events is 22 µs each; 1.4 s of client CPU 14 µs; 36 µs in
    // all, so 2 cores (2,000,000 µs a second) carry at most 55,556 events a second.
    expect(cpuNote("ticker", account, 2)).toBe(
      "ticker: CPU per delivered event: server 22.0 µs (user 10.0, sys 12.0; 1.10 cores busy), " +
        "load client 14.0 µs (user 6.0, sys 8.0; 0.70 cores busy); together 36.0 µs, so 2 cores " +
        "carry at most 55,556 events/s.",
    );
  });

  it("says nothing when no event was counted", () => {
    expect(cpuNote("ticker", { ...account, events: 0 }, 2)).toBe("");
    expect(cpuNote("ticker", { ...account, seconds: 0 }, 2)).toBe("");
  });

  it("adds rounds field by field", () => {
    expect(addCpu(account, account)).toEqual({
      server: { userUs: 2_000_000, systemUs: 2_400_000 },
      client: { userUs: 1_200_000, systemUs: 1_600_000 },
      events: 200_000,
      seconds: 4,
    });
  });
});
