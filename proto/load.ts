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

/** The parsed package definition (service and message codecs); callers hold it for their lifetime. */
export function loadFedtunePackage(): PackageDefinition {
  return loadSync(PROTO_PATH, PROTO_LOADER_OPTIONS);
}
