/** One parameter of an information line: its text without quotes, and whether it was quoted. */
export interface AtParam {
  readonly value: string;
  readonly quoted: boolean;
}

/**
 * Splits the parameters after `+NAME:` at commas outside quotes (`2,1,"1A2B","01A2B3C4",7`).
 * Blanks around each parameter are dropped; an empty parameter stays (`2,1,,7` has four).
 */
export function splitParams(text: string): AtParam[] {
  const params: AtParam[] = [];
  let current = '';
  let quoted = false;
  let inQuotes = false;
  for (const ch of text) {
    if (ch === '"') {
      inQuotes = !inQuotes;
      quoted = true;
    } else if (ch === ',' && !inQuotes) {
      params.push({ value: quoted ? current : current.trim(), quoted });
      current = '';
      quoted = false;
    } else if (inQuotes || (ch !== ' ' && ch !== '\t') || (!quoted && current.length > 0)) {
      current += ch;
    }
  }
  params.push({ value: quoted ? current : current.trim(), quoted });
  return params;
}

/** The name and parameters of an information line (`+CSQ: 23,99` → `+CSQ`, [23, 99]); undefined when it has no `NAME:` head. */
export function splitInfoLine(line: string): { name: string; params: AtParam[] } | undefined {
  const m = /^([+^][A-Z0-9]+)\s*:\s*(.*)$/i.exec(line);
  if (!m) return undefined;
  return { name: m[1]!.toUpperCase(), params: m[2]! === '' ? [] : splitParams(m[2]!) };
}

/** A parameter as a decimal integer, or undefined when it is absent or not one. */
export function intParam(param: AtParam | undefined): number | undefined {
  if (!param || param.quoted || !/^\d{1,9}$/.test(param.value)) return undefined;
  return Number(param.value);
}
