import { writeSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { addCpu, type CpuAccount, cpuNote, cpuSince, processCpu } from "./measurement.js";

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

  it("adds the main thread's share and the system calls per event where known", () => {
    const known: CpuAccount = {
      ...account,
      server: { ...account.server, mainThreadUs: 1_650_000, writeCalls: 95_000 },
      client: { ...account.client, mainThreadUs: 1_400_000, readCalls: 93_000 },
    };
    expect(cpuNote("ticker", known, 2)).toBe(
      "ticker: CPU per delivered event: server 22.0 µs (user 10.0, sys 12.0; main thread 75%; " +
        "0.95 write calls; 1.10 cores busy), load client 14.0 µs (user 6.0, sys 8.0; main thread " +
        "100%; 0.93 read calls; 0.70 cores busy); together 36.0 µs, so 2 cores carry at most " +
        "55,556 events/s.",
    );
  });
});

describe("processCpu", () => {
  it("reads this process's CPU and, on Linux, its main thread and system calls", () => {
    const start = processCpu();
    // Work in user mode, then write calls: the counters move (/proc/<pid>/io counts syscw).
    let spin = 0;
    for (let i = 0; i < 2_000_000; i++) spin += Math.sqrt(i);
    for (let i = 0; i < 20; i++) writeSync(1, "");
    const spent = cpuSince(start, processCpu());
    expect(spin).toBeGreaterThan(0);
    expect(spent.userUs + spent.systemUs).toBeGreaterThan(0);
    if (process.platform === "linux") {
      expect(spent.writeCalls).toBeGreaterThanOrEqual(20);
      expect(spent.mainThreadUs).toBeGreaterThanOrEqual(0);
    }
  });

  it("leaves out what either side lacks", () => {
    expect(cpuSince({ userUs: 1, systemUs: 2, writeCalls: 3 }, { userUs: 5, systemUs: 7 })).toEqual(
      {
        userUs: 4,
        systemUs: 5,
      },
    );
  });
});
