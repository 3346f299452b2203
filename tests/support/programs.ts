/**
 * Whether a program the tests would use is installed (zsh, fish, man, groff): a test that needs
 * one it lacks says so and skips.
 *
 * @module
 */

/** Whether `program --version` runs. */
export function hasProgram(program: string): boolean {
  try {
    new Deno.Command(program, { args: ["--version"], stdout: "null", stderr: "null" }).outputSync();
    return true;
  } catch {
    return false;
  }
}
