// The wire ⇄ SecAgg+ table: both sides configure the state machine from the task's settings alike.
import { describe, expect, it } from "vitest";
import { prepareRound } from "../../crypto/secagg/round.ts";
import { parseSiteId } from "../../crypto/site-id.ts";
import type { SecAggSettings } from "../../proto/messages.ts";
import { secAggConfigOf } from "../../proto/secagg-steps.ts";

const key = (fill: number) => new Uint8Array(32).fill(fill);

describe("secAggConfigOf", () => {
  const certified = {
    envelopePublicKey: new Uint8Array(32),
    certificate: new Uint8Array(1),
    certificateKeySignature: new Uint8Array(8),
  };

  it("keeps the roster's order and binds each site to its identity key", () => {
    const settings: SecAggSettings = {
      roundId: 7,
      sessionId: new Uint8Array(32).fill(9),
      threshold: 2,
      degree: 2,
      vectorLength: 5,
      clipRange: 1,
      maxSummands: 3,
      maxExamples: 100,
      roster: [
        { siteId: parseSiteId("site-c"), identityKey: key(3), ...certified },
        { siteId: parseSiteId("site-a"), identityKey: key(1), ...certified },
        { siteId: parseSiteId("site-b"), identityKey: key(2), ...certified },
      ],
    };
    const config = secAggConfigOf(settings);
    expect(config).toMatchObject({
      roundId: 7,
      threshold: 2,
      degree: 2,
      vectorLength: 5,
      codec: { clipRange: 1, maxSummands: 3 },
    });
    expect(config.sessionId).toBe(settings.sessionId);
    expect(config.roster).toEqual(["site-c", "site-a", "site-b"]);
    expect([...config.identityKeys]).toEqual([
      ["site-c", key(3)],
      ["site-a", key(1)],
      ["site-b", key(2)],
    ]);
    expect(prepareRound(config).graph.sites).toHaveLength(3);
  });
});
