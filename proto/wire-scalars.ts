// Scalar zod schemas shared by the fedtune.v1 message schemas (messages.ts, admin-messages.ts).
import { z } from "zod";

export const U32_MAX = 0xffff_ffff;

export const u32 = z.number().int().min(0).max(U32_MAX);
export const positiveU32 = z.number().int().min(1).max(U32_MAX);
/** uint64 arrives as a decimal string (longs: String); inside it is a safe integer. */
export const u64 = z
  .union([z.string().regex(/^\d{1,16}$/), z.number().int().min(0)])
  .transform((value, ctx) => {
    const n = Number(value);
    if (!Number.isSafeInteger(n)) {
      ctx.addIssue({ code: "custom", message: "integer out of range" });
      return z.NEVER;
    }
    return n;
  });
export const finite = z.number().finite();
export const nonNegative = finite.min(0);
export const shortText = z.string().max(256);
export const longText = z.string().max(64 * 1024);

export const bytes = z.custom<Uint8Array>((value) => value instanceof Uint8Array, "must be bytes");
/** Byte strings of one exact length (keys, signatures): a wrong length is INVALID_ARGUMENT. */
export const exactBytes = (length: number) =>
  bytes.refine((value) => value.length === length, { message: `must be exactly ${length} bytes` });
export const boundedBytes = (max: number, min = 0) =>
  bytes.refine((value) => value.length >= min && value.length <= max, {
    message: `must be ${min}–${max} bytes`,
  });

/** The consortium's CRL (DER; about 40 bytes per revoked certificate), empty when none was issued. */
export const crlBytes = boundedBytes(1024 * 1024);
/** A DER certificate of the consortium PKI (an ECDSA P-256 leaf is well under 2 KiB). */
export const certificateBytes = boundedBytes(8 * 1024, 1);
/** A DER-encoded ECDSA signature by a certificate's key (72 bytes for P-256, more for larger curves). */
export const certificateSignatureBytes = boundedBytes(512, 8);

/** Compile-time check that a trusted type can be handed to the generated encoder of its wire type. */
export type Encodes<Trusted, Wire> = [Trusted] extends [Wire] ? true : false;
export type Assert<T extends true> = T;
