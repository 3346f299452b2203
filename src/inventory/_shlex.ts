/**
 * Python's `shlex.split(text, comments)` in POSIX mode, which Ansible uses for
 * INI host lines (with comments) and for `ansible_ssh_common_args` (without).
 *
 * @module
 */

/**
 * Splits `text` into words as a POSIX shell would (quotes and backslashes; no
 * expansions). With `comments`, an unquoted `#` ends the line.
 *
 * @throws {Error} with shlex's message ("No closing quotation", "No escaped character").
 */
export function shlexSplit(text: string, comments = false): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false; // a word has started (possibly empty, as in '')
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else if (c === "#" && comments) {
      break;
    } else if (c === "\\") {
      if (i + 1 >= text.length) throw new Error("No escaped character");
      word += text[++i];
      inWord = true;
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new Error("No closing quotation");
      word += text.slice(i + 1, end);
      i = end;
      inWord = true;
    } else if (c === '"') {
      // Inside double quotes a backslash escapes only `"` and `\` (shlex's escapedquotes).
      let j = i + 1;
      for (;; j++) {
        if (j >= text.length) throw new Error("No closing quotation");
        const d = text[j];
        if (d === '"') break;
        if (d === "\\" && (text[j + 1] === '"' || text[j + 1] === "\\")) word += text[++j];
        else word += d;
      }
      i = j;
      inWord = true;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}
