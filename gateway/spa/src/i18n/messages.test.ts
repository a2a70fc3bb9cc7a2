// Both languages carry the same messages with the same placeholders, and every key the
// source names literally exists.

import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import en from "./en";
import { translate, translatePlural } from "./messages";
import vi from "./vi";

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === "client" ? [] : sourceFiles(path);
    return /\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name) ? [path] : [];
  });
}

const placeholders = (message: string) => [...message.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe("messages", () => {
  it("has the same keys in Vietnamese and English", () => {
    expect(Object.keys(en).sort()).toEqual(Object.keys(vi).sort());
    expect(Object.keys(vi).length).toBeGreaterThan(150);
  });

  it("has the same placeholders in both languages", () => {
    for (const [key, message] of Object.entries(vi)) {
      expect(placeholders(en[key as keyof typeof en]), key).toEqual(placeholders(message));
    }
  });

  it("has every key the source code names", () => {
    const root = join(dirname(fileURLToPath(import.meta.url)), "..");
    const used = new Set<string>();
    for (const file of sourceFiles(root)) {
      for (const match of readFileSync(file, "utf8").matchAll(/\bt\("([\w.]+)"/g)) used.add(match[1]);
    }
    expect(used.size).toBeGreaterThan(100);
    const missing = [...used].filter((key) => !(key in vi));
    expect(missing).toEqual([]);
  });

  it("fills placeholders and picks plural forms", () => {
    expect(translate("vi", "epe.diagramVersion", { version: 3 })).toBe("Phiên bản 3");
    expect(translatePlural("en", "incident.daysLeft", 1, { date: "02/03/2026" })).toBe("1 working day left (due 02/03/2026)");
    expect(translatePlural("en", "incident.daysLeft", 4, { date: "x" })).toBe("4 working days left (due x)");
    expect(translatePlural("vi", "incident.daysLeft", 1, { date: "x" })).toBe("Còn 1 ngày làm việc (hạn x)");
    expect(translate("en", "no.such.key")).toBe("no.such.key");
  });
});
