/** Inputs that would be quadratic (or worse) in a naive parser; bench/jobfile.ts times them. */
export const PATHOLOGICAL: [string, (n: number) => string][] = [
  ["open paren swallowing the file", (n) => "start on (a\n" + "x y\n".repeat(n)],
  ["deep nesting", (n) => "start on " + "(".repeat(n) + "a" + ")".repeat(n) + "\n"],
  ["long or chain", (n) => "start on a" + " or (b".repeat(n) + ")".repeat(n) + "\n"],
  ["unterminated script", (n) => "script\n" + "  echo\n".repeat(n)],
  ["long continued token", (n) => "description " + "a\\\n".repeat(n) + "\n"],
  ["many stanzas", (n) => "env A=1 # c\n".repeat(n)],
  ["long quoted value", (n) => 'description "' + " \\x".repeat(n) + '"\n'],
];
