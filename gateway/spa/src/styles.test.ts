// The stylesheet nests nothing but at-rules: browsers read CSS nesting, so a rule left
// unclosed silently scopes every rule after it to its selector (three did, unnoticed).

import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const css = readFileSync(join(dirname(fileURLToPath(import.meta.url)), "styles.css"), "utf8").replace(/\/\*[\s\S]*?\*\//g, "");

describe("styles.css", () => {
  it("closes every rule, and opens a rule inside another only in an at-rule", () => {
    const open: string[] = [];
    const misplaced: string[] = [];
    let prelude = "";
    for (const ch of css) {
      if (ch === "{") {
        const selector = prelude.trim();
        if (open.length && !open[open.length - 1].startsWith("@")) misplaced.push(`${selector} inside ${open[open.length - 1]}`);
        open.push(selector);
        prelude = "";
      } else if (ch === "}") {
        open.pop();
        prelude = "";
      } else if (ch === ";") {
        prelude = "";
      } else {
        prelude += ch;
      }
    }
    expect(misplaced).toEqual([]);
    expect(open).toEqual([]);
  });
});
