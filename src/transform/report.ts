/** dbt's console output: one line per node as it finishes, then a summary with every problem spelled out. */
import type { NodeResult, RunOutcome } from './runner.ts';
import { textOf } from './values.ts';

const width = 80;

function seconds(s: number): string {
  return `${s.toFixed(2)}s`;
}

function relation(r: NodeResult): string {
  return `${r.node.schema}.${r.node.alias}`;
}

function describe(r: NodeResult, command: string): { text: string; tag: string } {
  const n = r.node;
  const took = ` in ${seconds(r.executionTime)}`;
  const kind = n.resourceType === 'model' ? `sql ${String(n.config.materialized)} model ${relation(r)}` : '';
  if (r.status === 'skipped')
    return {
      text: n.resourceType === 'test' ? `SKIP test ${n.name}` : `SKIP relation ${relation(r)}`,
      tag: 'SKIP',
    };
  if (r.status === 'error')
    return {
      text:
        n.resourceType === 'test'
          ? `ERROR ${n.name}`
          : n.resourceType === 'seed'
            ? `ERROR loading seed file ${relation(r)}`
            : `ERROR creating ${kind}`,
      tag: `ERROR${took}`,
    };
  if (command === 'compile') return { text: `OK compiled ${n.resourceType} ${n.name}`, tag: `OK${took}` };
  if (n.resourceType === 'test') {
    const label = r.status.toUpperCase();
    const count = r.status === 'pass' ? '' : ` ${r.failures ?? 0}`;
    return { text: `${label}${count} ${n.name}`, tag: `${label}${count}${took}` };
  }
  if (n.resourceType === 'seed')
    return { text: `OK loaded seed file ${relation(r)}`, tag: `${r.message ?? 'OK'}${took}` };
  return { text: `OK created ${kind}`, tag: `OK${took}` };
}

/** `3 of 7 OK created sql table model farebox.fct_trips ........ [OK in 0.31s]` */
export function resultLine(r: NodeResult, total: number, command: string): string {
  const { text, tag } = describe(r, command);
  const head = `${r.index} of ${total} ${text} `;
  return `${head}${'.'.repeat(Math.max(3, width - head.length))} [${tag}]`;
}

/** Rows as an aligned text table, for the sample of a failing test. */
export function sampleTable(rows: readonly Record<string, unknown>[], indent = '    '): string[] {
  const first = rows[0];
  if (first === undefined) return [];
  const cols = Object.keys(first);
  const cell = (v: unknown): string => (v === null || v === undefined ? 'NULL' : textOf(v));
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]): string =>
    indent +
    vals
      .map((v, i) => v.padEnd(widths[i] ?? 0))
      .join(' | ')
      .trimEnd();
  return [
    line(cols),
    indent + widths.map((w) => '-'.repeat(w)).join('-+-'),
    ...rows.map((r) => line(cols.map((c) => cell(r[c])))),
  ];
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function problem(r: NodeResult): string[] {
  const n = r.node;
  const where = `${n.resourceType} ${n.name} (${n.originalFilePath})`;
  const at = r.compiledPath === null ? [] : [`  compiled code at ${r.compiledPath}`];
  if (r.status === 'error') {
    const title =
      r.error?.code === 'warehouse'
        ? 'Database Error'
        : r.error?.code === 'transform_invalid'
          ? 'Compilation Error'
          : 'Runtime Error';
    const hint = r.error?.hint === undefined ? [] : [`  hint: ${r.error.hint}`];
    return [`${title} in ${where}`, ...(r.message ?? '').split('\n').map((l) => `  ${l}`), ...hint, ...at];
  }
  const title = r.status === 'fail' ? 'Failure' : 'Warning';
  const sample =
    r.sample.length === 0
      ? []
      : [`  first ${plural(r.sample.length, 'failing row')}:`, ...sampleTable(r.sample)];
  return [`${title} in ${where}`, `  ${r.message ?? ''}`, ...sample, ...at];
}

export function summary(outcome: RunOutcome): string[] {
  const counts = new Map<string, number>();
  for (const r of outcome.results) {
    const n = r.node;
    const kind =
      n.resourceType === 'model'
        ? `${String(n.config.materialized)} model`
        : n.resourceType === 'test'
          ? 'data test'
          : 'seed';
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  const ran = [...counts].map(([k, n]) => plural(n, k)).join(', ') || 'nothing';
  const s = outcome.elapsedSeconds;
  const lines = [
    '',
    `Finished running ${ran} in ${Math.floor(s / 3600)} hours ${Math.floor((s % 3600) / 60)} minutes and ${(s % 60).toFixed(2)} seconds (${seconds(s)}).`,
    '',
  ];
  const by = (st: string): NodeResult[] => outcome.results.filter((r) => r.status === st);
  const errors = [...by('error'), ...by('fail')];
  const warnings = by('warn');
  if (errors.length === 0 && warnings.length === 0) lines.push('Completed successfully');
  else {
    lines.push(
      `Completed with ${plural(errors.length, 'error')}, 0 partial successes, and ${plural(warnings.length, 'warning')}:`,
    );
    for (const r of [...errors, ...warnings]) lines.push('', ...problem(r));
  }
  for (const r of outcome.results)
    if (r.note !== undefined) lines.push('', `Note for ${r.node.name}: ${r.note}`);
  const pass = by('success').length + by('pass').length;
  lines.push(
    '',
    `Done. PASS=${pass} WARN=${warnings.length} ERROR=${errors.length} SKIP=${by('skipped').length} NO-OP=0 TOTAL=${outcome.results.length}`,
  );
  return lines;
}
