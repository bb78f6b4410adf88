// Size limits of the wire contract: every message stays far below gRPC's 4 MiB default.

/** Largest `data` of one DataChunk: float chunks use FLOAT_CHUNK_ELEMENTS, he chunks one ciphertext. */
export const MAX_CHUNK_BYTES = 2 * 1024 * 1024;

/** Elements per float32/uint32 chunk (1 MiB), so a 1M-parameter adapter is 4 chunks. */
export const FLOAT_CHUNK_ELEMENTS = 256 * 1024;

/** gRPC message size cap set on both ends: a chunk plus headroom for framing. */
export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

/** Longest vector the federation moves (elements); bounds what a header may announce. */
export const MAX_VECTOR_LENGTH = 1 << 28;

/** Most bytes one update may announce (an encrypted vector is about 16 bytes per parameter). */
export const MAX_UPDATE_BYTES = 2 ** 32;

/** Most participants a round may have (bounds rosters and share lists). */
export const MAX_PARTICIPANTS = 10_000;

/** Largest sealed secret-key envelope moved by the key ceremony. */
export const MAX_KEY_BLOB_BYTES = 16 * 1024 * 1024;

/** Most metrics one evaluation may report. */
export const MAX_METRICS = 64;
