// The consortium PKI: CA, role certificates, revocation and peer verification.
export * from "./authority.ts";
export * from "./identity.ts";
export * from "./store.ts";
export * from "./own-identity.ts";
export * from "./request.ts";
export * from "./kit.ts";
