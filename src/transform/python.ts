/**
 * Python's str() and repr() of YAML values, because dbt names and hashes generic tests with them
 * (dbt/parser/generic_test_builders.py, schema_generic_tests.py); ids only match dbt's if these do.
 */

function reprString(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === quote || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + quote;
}

function numberText(n: number): string {
  if (Number.isInteger(n)) return String(n);
  if (Number.isNaN(n)) return 'nan';
  if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf';
  return String(n);
}

/** Python's repr(): strings quoted as Python quotes them, lists and dicts in Python's layout. */
export function pyRepr(v: unknown): string {
  if (typeof v === 'string') return reprString(v);
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  if (v !== null && typeof v === 'object')
    return `{${Object.entries(v)
      .map(([k, x]) => `${reprString(k)}: ${pyRepr(x)}`)
      .join(', ')}}`;
  return pyStr(v);
}

/** Python's str(): strings as they are, True/False/None, containers as their repr. */
export function pyStr(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return numberText(v);
  if (typeof v === 'bigint') return v.toString();
  return pyRepr(v);
}

/** dbt's get_hashable_md: mappings with sorted keys, lists kept, every other value as its str(). */
export function hashable(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(hashable);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = hashable((v as Record<string, unknown>)[k]);
    return out;
  }
  return pyStr(v);
}
