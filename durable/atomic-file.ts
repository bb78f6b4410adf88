// Crash-safe file writes for the coordinator and the sites alike: temporary file, fsync, rename, fsync the folder.
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";

export interface AtomicWriteOptions {
  /** File mode of the new file, e.g. 0o600 for private keys. */
  readonly mode?: number;
}

/**
 * Replaces `path` with `data` so that a crash at any instant leaves either the old or the new
 * content, never a torn file: rename(2) is atomic within one file system, and the fsyncs make the
 * data and the directory entry durable before the caller records the write anywhere else.
 */
export function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): void {
  const temporaryPath = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  const fd = openSync(temporaryPath, "w", options.mode ?? 0o644);
  try {
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    rmSync(temporaryPath, { force: true });
    throw error;
  }
  closeSync(fd);
  renameSync(temporaryPath, path);
  fsyncPath(dirname(path));
}

/**
 * fsync(2) of a file already written and closed, or of a folder: a rename or a new directory entry is
 * durable only once the folder itself is fsynced (POSIX).
 */
export function fsyncPath(path: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
