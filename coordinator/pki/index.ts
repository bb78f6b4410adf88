// The consortium PKI: CA, role certificates and revocation; peer verification lives in crypto/pki so sites can use it too.
export * from "./authority.ts";
export * from "../../crypto/pki/identity.ts";
export * from "./store.ts";
export * from "./own-identity.ts";
export * from "./request.ts";
export * from "./kit.ts";
