/** Text helpers shared by the deploy's messages. */

/** Indents every line of `text` by two spaces: kubectl's and the API server's answers quoted under our own line. */
export function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}
