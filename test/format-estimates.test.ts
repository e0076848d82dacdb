/** The plan's money format against the ICU formatter it stands in for. */
import * as assert from "node:assert/strict";
import { money } from "../tools/plan/format-estimates";

const icu = (usd: number) =>
  `$${usd.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

describe("plan estimates: money", () => {
  it("prints what toLocaleString('en-US') prints, halves rounded on the shortest decimal form", () => {
    const tricky = [0, -0, 0.005, 0.015, 1.005, 2.675, 999.995, 1000, 1234.5, 1234567.891, -0.001, -1234.5];
    const more = [12.345, 0.125, 1e9 + 0.5, 73.0000001, 1e-7, 0.0049999, 1e20, 1e21, 57040.085];
    for (const usd of [...tricky, ...more]) assert.equal(money(usd), icu(usd), String(usd));
    assert.equal(money(1234.5), "$1,234.50");
    assert.equal(money(2.675), "$2.68");
  });

  it("agrees on a sweep of amounts in tenths of a cent, both signs", () => {
    for (let mills = -2_000_000; mills <= 2_000_000; mills += 97) {
      const usd = mills / 1000;
      if (money(usd) !== icu(usd)) assert.fail(`${usd}: ${money(usd)} != ${icu(usd)}`);
    }
  });
});
