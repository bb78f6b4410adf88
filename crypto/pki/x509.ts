// @peculiar/x509, loaded after the Reflect metadata polyfill its dependency tsyringe needs at import time.
// PKI code imports x509 from here so that the polyfill always comes first.
import "reflect-metadata";

export * from "@peculiar/x509";
