/**
 * Where a JSON text goes wrong, for an error that names the line: V8's
 * `JSON.parse` messages quote the text instead of saying where (and the text
 * may hold anything). Only run once `JSON.parse` has failed. Iterative, so
 * that deep nesting cannot overflow the stack.
 *
 * @module
 */

const WS = /[ \t\n\r]*/y;
// deno-lint-ignore no-control-regex
const STRING = /"(?:[^"\\\x00-\x1f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const LITERAL = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|true|false|null/y;

/** The first syntax error of `text`: its offset and what is wrong, or `null` for valid JSON. */
export function jsonSyntaxError(text: string): { offset: number; reason: string } | null {
  let i = 0;
  const skip = (re: RegExp): boolean => {
    re.lastIndex = i;
    const m = re.exec(text);
    if (m) i = re.lastIndex;
    return m !== null;
  };
  const here = (expected: string) => ({
    offset: i,
    reason: i >= text.length
      ? `unexpected end of input, expected ${expected}`
      : `unexpected ${JSON.stringify(text[i])}, expected ${expected}`,
  });
  const closers: string[] = [];
  let state: "value" | "key" | "after" = "value";
  for (;;) {
    skip(WS);
    if (state === "value") {
      const c = text[i];
      if (c === "{" || c === "[") {
        i++;
        skip(WS);
        if (text[i] === (c === "{" ? "}" : "]")) {
          i++;
          state = "after";
        } else {
          closers.push(c === "{" ? "}" : "]");
          state = c === "{" ? "key" : "value";
        }
      } else if (c === '"') {
        if (!skip(STRING)) return { offset: i, reason: "invalid string" };
        state = "after";
      } else if (skip(LITERAL)) state = "after";
      else return here("a value");
    } else if (state === "key") {
      if (text[i] !== '"') return here("a string key");
      if (!skip(STRING)) return { offset: i, reason: "invalid string" };
      skip(WS);
      if (text[i] !== ":") return here('":"');
      i++;
      state = "value";
    } else {
      const top = closers.at(-1);
      if (top === undefined) return i < text.length ? here("the end of input") : null;
      if (text[i] === ",") {
        i++;
        state = top === "}" ? "key" : "value";
      } else if (text[i] === top) {
        i++;
        closers.pop();
      } else return here(`"," or "${top}"`);
    }
  }
}
