// `fedtune privacy epsilon|noise` end to end through their Command objects (lives beside the accountant tests it reuses).
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { privacyEpsilonCommand, privacyNoiseCommand } from "../../cli/commands/privacy.ts";
import { ParsedArgs, UsageError, type CliContext } from "../../cli/command.ts";

function run(
  command: typeof privacyEpsilonCommand,
  values: Record<string, string | boolean>,
): Promise<string[]> {
  const lines: string[] = [];
  const ctx: CliContext = { logger: pino({ level: "silent" }), print: (line) => lines.push(line) };
  return command.run(new ParsedArgs(values, []), ctx).then((code) => {
    expect(code).toBe(0);
    return lines;
  });
}

describe("fedtune privacy", () => {
  it("epsilon --json reproduces the TF Privacy MNIST tutorial with the conversion it used", async () => {
    const [line] = await run(privacyEpsilonCommand, {
      "sampling-rate": String(256 / 60000),
      "noise-multiplier": "1.1",
      steps: "14063",
      delta: "1e-5",
      conversion: "mironov2017",
      json: true,
    });
    const parsed = JSON.parse(line ?? "") as { epsilon: number; delta: number; order: number };
    expect(Object.keys(parsed)).toEqual(["epsilon", "delta", "order"]);
    expect(parsed.epsilon).toBeCloseTo(3.01, 2);
    expect(parsed.delta).toBe(1e-5);
  });

  it("noise finds a multiplier whose ε, fed back to epsilon, meets the target", async () => {
    const plan = { "sampling-rate": "0.01", steps: "1000", delta: "1e-5" };
    const [noiseLine] = await run(privacyNoiseCommand, { ...plan, "target-epsilon": "2", json: true });
    const { noiseMultiplier } = JSON.parse(noiseLine ?? "") as { noiseMultiplier: number };
    const [epsLine] = await run(privacyEpsilonCommand, {
      ...plan,
      "noise-multiplier": String(noiseMultiplier),
      json: true,
    });
    expect((JSON.parse(epsLine ?? "") as { epsilon: number }).epsilon).toBeLessThanOrEqual(2);
  });

  it("prints a sentence without --json and refuses bad input as a usage error", async () => {
    const [line] = await run(privacyEpsilonCommand, {
      "sampling-rate": "0.01",
      "noise-multiplier": "1",
      steps: "100",
      delta: "1e-5",
    });
    expect(line).toMatch(/^ε = [\d.]+ at δ = 0\.00001 \(optimal RDP order [\d.]+\)/);
    await expect(
      run(privacyEpsilonCommand, {
        "sampling-rate": "1.5",
        "noise-multiplier": "1",
        steps: "1",
        delta: "1e-5",
      }),
    ).rejects.toThrow(UsageError);
    // δ = 0 and z = 0 give ε = ∞, which --json would print as null.
    await expect(
      run(privacyEpsilonCommand, {
        "sampling-rate": "0.01",
        "noise-multiplier": "1",
        steps: "1",
        delta: "0",
      }),
    ).rejects.toThrow(/--delta must be in \(0, 1\)/);
    await expect(
      run(privacyEpsilonCommand, {
        "sampling-rate": "0.01",
        "noise-multiplier": "0",
        steps: "1",
        delta: "1e-5",
      }),
    ).rejects.toThrow(/--noise-multiplier must be > 0/);
    await expect(
      run(privacyNoiseCommand, {
        "sampling-rate": "0.1",
        steps: "1.5",
        delta: "1e-5",
        "target-epsilon": "1",
      }),
    ).rejects.toThrow(UsageError);
  });
});
