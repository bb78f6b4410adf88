// The SEAL library handle and a CKKS context built from public parameters: all the coordinator ever holds.
import sealModule from "node-seal";
import { ParameterError } from "../errors.ts";
import { checkCkksParams, THRESHOLD_CKKS_PARAMS, type CkksParams } from "./params.ts";

type SealFactory = (typeof sealModule)["default"];
// node-seal's typings describe an ES module, but the package is CommonJS and module.exports is the
// factory itself, which is what Node (and vitest, tsx) hand to a default import.
const sealFactory = sealModule as unknown as SealFactory;

export type SealLibrary = Awaited<ReturnType<SealFactory>>;
export type SealContext = ReturnType<SealLibrary["Context"]>;
export type SealCipherText = ReturnType<SealLibrary["CipherText"]>;
// node-seal types its enum members as `any`; these aliases name the types its functions actually take.
export type SealComprMode = NonNullable<Parameters<SealCipherText["saveArray"]>[0]>;
type SealSchemeType = NonNullable<Parameters<SealLibrary["EncryptionParameters"]>[0]>;
type SealSecurityLevel = NonNullable<Parameters<SealLibrary["Context"]>[2]>;

/** Loads the SEAL WebAssembly module; a composition root calls this once and passes the result down. */
export async function loadSeal(): Promise<SealLibrary> {
  return sealFactory();
}

/** Public CKKS state: parameters and the SEAL context. Holds no key. Call dispose() when done. */
export interface CkksContext {
  readonly seal: SealLibrary;
  readonly params: CkksParams;
  readonly context: SealContext;
  dispose(): void;
}

export function createCkksContext(
  seal: SealLibrary,
  params: CkksParams = THRESHOLD_CKKS_PARAMS,
): CkksContext {
  checkCkksParams(params);
  const encParams = seal.EncryptionParameters(seal.SchemeType.ckks as SealSchemeType);
  const modulus = seal.CoeffModulus.Create(
    params.polyModulusDegree,
    Int32Array.from(params.coeffModulusBits),
  );
  try {
    encParams.setPolyModulusDegree(params.polyModulusDegree);
    encParams.setCoeffModulus(modulus);
    // expandModChain = false: sums never switch modulus; 128-bit security is enforced by SEAL.
    const context = seal.Context(encParams, false, seal.SecurityLevel.tc128 as SealSecurityLevel);
    if (!context.parametersSet()) {
      context.delete();
      throw new ParameterError(
        `SEAL rejected the CKKS parameters (N=${params.polyModulusDegree}, primes [${params.coeffModulusBits.join(", ")}]): ` +
          "too many modulus bits for 128-bit security, or no such primes",
      );
    }
    let disposed = false;
    return {
      seal,
      params,
      context,
      dispose: () => {
        // Idempotent: a second delete() of a SEAL object would be a double free in the WebAssembly heap.
        if (disposed) return;
        disposed = true;
        context.delete();
      },
    };
  } finally {
    modulus.delete();
    encParams.delete();
  }
}
