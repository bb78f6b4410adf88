// The CLI's log formats: text for a person at a terminal (or asked for), pino's JSON lines otherwise.
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { chooseLogFormat, formatLogLine, textLogStream } from "../../cli/log-format.ts";

describe("log format", () => {
  it("is text on a terminal and JSON when redirected, unless asked", () => {
    expect(chooseLogFormat(undefined, true)).toBe("text");
    expect(chooseLogFormat(undefined, false)).toBe("json");
    expect(chooseLogFormat("json", true)).toBe("json");
    expect(chooseLogFormat("text", false)).toBe("text");
    expect(() => chooseLogFormat("pretty", false)).toThrow(/json or text/);
  });

  it("writes one readable line per entry: time, level, message, fields", () => {
    const lines: string[] = [];
    const logger = pino({ base: null }, textLogStream({ write: (text: string) => lines.push(text) }));
    logger.info({ siteId: "hospital-a", bound: "0.0.0.0:50051" }, "site joined");
    logger.warn({ err: new Error("boom"), note: "two words" }, "call failed");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} INFO {2}site joined siteId=hospital-a bound=0\.0\.0\.0:50051\n$/,
    );
    expect(lines[1]).toMatch(/ WARN {2}call failed err="boom" note="two words"\n$/);
    expect(formatLogLine("not json")).toBe("not json");
  });
});
