// Resident memory of this process and of its children, as Linux's /proc reports it (what the kernel counts, not a heap estimate).
import { readFileSync, writeFileSync } from "node:fs";

function statusKiB(pid: number | "self", field: "VmRSS" | "VmHWM"): number {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(
      readFileSync(`/proc/${pid}/status`, "utf8"),
    );
    return match === null ? 0 : Number(match[1]);
  } catch {
    return 0; // the process has exited
  }
}

/** The process's resident memory now, in bytes (0 once it has exited). */
export function residentBytes(pid: number): number {
  return statusKiB(pid, "VmRSS") * 1024;
}

/** The process's peak resident memory (VmHWM) since it started or since {@link resetPeakResident}, in bytes. */
export function peakResidentBytes(pid: number | "self" = "self"): number {
  return statusKiB(pid, "VmHWM") * 1024;
}

/** Starts this process's peak (VmHWM) over from its current resident memory (proc(5), clear_refs "5"). */
export function resetPeakResident(): void {
  writeFileSync("/proc/self/clear_refs", "5");
}

export function mib(bytes: number): number {
  return Number((bytes / 2 ** 20).toFixed(1));
}
