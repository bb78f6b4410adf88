// A site's durable state folder: its SecAgg identity and envelope keys, its privacy ledger, and the newest CRL it has seen.
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import {
  generateSigningKeyPair,
  generateX25519KeyPair,
  signingPublicKey,
  x25519PublicKey,
} from "../../crypto/keys.ts";
import {
  createPrivacyLedger,
  tightenBudget,
  parseLedger,
  serializeLedger,
  spentEpsilon,
  type PrivacyLedger,
} from "../../crypto/dp/ledger.ts";
import { verifyCrl } from "../../crypto/pki/crl.ts";
import { NO_REVOCATIONS, PkiError, type Revocations } from "../../crypto/pki/identity.ts";
import type { Rng } from "../../crypto/rng.ts";
import { writeFileAtomic } from "../../durable/atomic-file.ts";
import type { LedgerReport } from "../../proto/messages.ts";

export interface SiteKeys {
  /** Ed25519 seed of the SecAgg identity key (bound to the certificate at Join). */
  readonly identitySeed: Uint8Array;
  readonly identityKey: Uint8Array;
  /** X25519 key pair that he mode Shamir and decryption shares are sealed to. */
  readonly envelopeSecretKey: Uint8Array;
  readonly envelopePublicKey: Uint8Array;
}

const keysFileSchema = z.strictObject({
  format: z.literal("fedtune-site-keys/v1"),
  identitySeed: z.string().regex(/^[0-9a-f]{64}$/),
  envelopeSecretKey: z.string().regex(/^[0-9a-f]{64}$/),
});

/**
 * The site's keys, created on first start and kept (mode 0600) so that a restarted site joins with the
 * same identity key its certificate is bound to.
 */
export function loadOrCreateSiteKeys(stateDir: string, rng: Rng): SiteKeys {
  mkdirSync(stateDir, { recursive: true });
  const path = join(stateDir, "site-keys.json");
  if (!existsSync(path)) {
    const identity = generateSigningKeyPair(rng);
    const envelope = generateX25519KeyPair(rng);
    writeFileAtomic(
      path,
      JSON.stringify({
        format: "fedtune-site-keys/v1",
        identitySeed: Buffer.from(identity.seed).toString("hex"),
        envelopeSecretKey: Buffer.from(envelope.secretKey).toString("hex"),
      }),
      { mode: 0o600 },
    );
    // The keys are read back from the file below; these copies are not needed again (STYLE.md item 9).
    identity.seed.fill(0);
    envelope.secretKey.fill(0);
  }
  const parsed = keysFileSchema.safeParse(JSON.parse(readFileSync(path, "utf8")));
  if (!parsed.success) throw new Error(`${path} is not a fedtune site key file`);
  const identitySeed = new Uint8Array(Buffer.from(parsed.data.identitySeed, "hex"));
  const envelopeSecretKey = new Uint8Array(Buffer.from(parsed.data.envelopeSecretKey, "hex"));
  return {
    identitySeed,
    identityKey: signingPublicKey(identitySeed),
    envelopeSecretKey,
    envelopePublicKey: x25519PublicKey(envelopeSecretKey),
  };
}

/** The persistent privacy ledger (crypto/dp/ledger.ts), one JSON file, replaced atomically on each charge. */
export class LedgerFile {
  private constructor(
    private readonly path: string,
    private current: PrivacyLedger | undefined,
  ) {}

  static open(stateDir: string): LedgerFile {
    mkdirSync(stateDir, { recursive: true });
    const path = join(stateDir, "privacy-ledger.json");
    return new LedgerFile(path, existsSync(path) ? parseLedger(readFileSync(path, "utf8")) : undefined);
  }

  /**
   * The ledger, created with `budget` the first time it is needed and afterwards held to the tighter
   * of the stored budget and `budget` (saved with the next charge).
   */
  ledger(budget: { epsilon: number; delta: number }): PrivacyLedger {
    this.current =
      this.current === undefined ? createPrivacyLedger(budget) : tightenBudget(this.current, budget);
    return this.current;
  }

  /** What the ledger holds now, for the coordinator's view (`fedtune admin sites`); null before its first charge. */
  report(): LedgerReport | null {
    if (this.current === undefined) return null;
    const { budget } = this.current;
    return {
      epsilonSpent: spentEpsilon(this.current).epsilon,
      epsilonBudget: budget.epsilon,
      delta: budget.delta,
    };
  }

  /** Persists a charged ledger before anything that spends it leaves the site. */
  save(ledger: PrivacyLedger): void {
    writeFileAtomic(this.path, serializeLedger(ledger), { mode: 0o600 });
    this.current = ledger;
  }
}

const crlFileSchema = z.strictObject({
  format: z.literal("fedtune-site-crl/v1"),
  crlNumber: z.number().int().nonnegative(),
  crl: z.string().regex(/^([0-9a-f]{2})+$/),
});

/**
 * The revocations this site holds its peers' certificates to, from the CRL the coordinator relayed at Join
 * (empty: none relayed). A relayed CRL counts once its CA signature and validity period check out
 * (crypto/pki/crl.ts); the newest one seen is kept in the state folder (crl.json), so that a coordinator
 * that replays an older CRL, to un-revoke a site, is refused (PkiError "stale"), and one that relays
 * none leaves the kept one in force. Throws PkiError; nothing is written then.
 */
export async function acceptRevocationList(
  stateDir: string,
  caPem: string,
  relayed: Uint8Array,
  now: Date = new Date(),
): Promise<Revocations> {
  const path = join(stateDir, "crl.json");
  let kept: z.output<typeof crlFileSchema> | undefined;
  if (existsSync(path)) {
    const parsed = crlFileSchema.safeParse(JSON.parse(readFileSync(path, "utf8")));
    if (!parsed.success) throw new PkiError("malformed", `${path} is not a fedtune site CRL file`);
    kept = parsed.data;
  }
  if (relayed.length === 0) {
    if (kept === undefined) return NO_REVOCATIONS;
    return (await verifyCrl(Buffer.from(kept.crl, "hex"), caPem, now)).revocations;
  }
  const crl = await verifyCrl(relayed, caPem, now);
  if (kept !== undefined && crl.crlNumber < kept.crlNumber)
    throw new PkiError(
      "stale",
      `the coordinator relayed CRL number ${crl.crlNumber}, older than number ${kept.crlNumber} this site has seen`,
    );
  if (kept === undefined || crl.crlNumber > kept.crlNumber) {
    mkdirSync(stateDir, { recursive: true });
    writeFileAtomic(
      path,
      JSON.stringify({
        format: "fedtune-site-crl/v1",
        crlNumber: crl.crlNumber,
        crl: Buffer.from(relayed).toString("hex"),
      }),
    );
  }
  return crl.revocations;
}
