// Loads fedtune.proto with the options the generated types in proto/generated/ were made with.
import { loadSync, type Options, type PackageDefinition } from "@grpc/proto-loader";
import { fileURLToPath } from "node:url";

/** Must match the flags in scripts/gen-proto.mjs. */
const PROTO_LOADER_OPTIONS: Options = {
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
};

const PROTO_PATH = fileURLToPath(new URL("./fedtune.proto", import.meta.url));

let parsed: PackageDefinition | undefined;

/**
 * The parsed package definition (service and message codecs), parsed once per process: parsing and
 * protobufjs' code generation cost ~10 ms and a few hundred KiB per call, and every connection asks
 * for it (1,000 virtual sites in one process would pay that 1,000 times). The definition is never
 * mutated after loading, so sharing it is sharing a constant.
 */
export function loadFedtunePackage(): PackageDefinition {
  parsed ??= loadSync(PROTO_PATH, PROTO_LOADER_OPTIONS);
  return parsed;
}
