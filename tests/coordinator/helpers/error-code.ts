// The code of the typed error an action throws, or "accepted": lets a test list many refusals in one table.

/** Rethrows anything that is not an `errorClass`, so an unexpected crash still fails the test. */
export function errorCode<E extends Error & { readonly code: string }>(
  errorClass: abstract new (...args: never[]) => E,
  action: () => unknown,
): E["code"] | "accepted" {
  try {
    action();
  } catch (error) {
    if (error instanceof errorClass) return error.code;
    throw error;
  }
  return "accepted";
}
