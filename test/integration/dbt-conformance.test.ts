/**
 * Conformance with real dbt: dbt-core and dbt-clickhouse from PyPI (the venv services/dbt.ts keeps in
 * .venv-dbt) parse transform/, and farebox's own compile of the same project must name the same model,
 * seed, test and source nodes, with the same dependencies, as dbt's manifest.json.
 *
 * No server is needed: `dbt parse` never connects. A machine that cannot build the venv (no python3 3.10+,
 * no venv or pip module, PyPI unreachable) fails these tests with the reason; they never skip.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbtArgs, dbtEnv, ensureDbt, projectDir, repo } from '../../services/dbt.ts';

interface TestMetadata {
  name: string;
  namespace: string | null;
  kwargs: Record<string, unknown>;
}

interface ManifestNode {
  unique_id: string;
  resource_type: string;
  name: string;
  alias?: string;
  depends_on?: { nodes?: string[] };
  test_metadata?: TestMetadata;
}

interface Manifest {
  nodes: Record<string, ManifestNode>;
  sources: Record<string, ManifestNode>;
}

const compared = ['model', 'seed', 'test'];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'farebox-dbt-conformance-'));

function readManifest(file: string, who: string): Manifest {
  if (!fs.existsSync(file)) throw new Error(`${who} wrote no manifest at ${file}`);
  const m = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<Manifest>;
  return { nodes: m.nodes ?? {}, sources: m.sources ?? {} };
}

/** unique_id → sorted depends_on.nodes, for the node kinds both manifests must agree on. */
function graphOf(m: Manifest): Map<string, string[]> {
  const g = new Map<string, string[]>();
  for (const [id, n] of Object.entries(m.nodes))
    if (compared.includes(n.resource_type)) g.set(id, [...new Set(n.depends_on?.nodes ?? [])].sort());
  for (const id of Object.keys(m.sources)) g.set(id, []);
  return g;
}

function filesUnder(dir: string, ext: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith(ext))
    .map((f) => path.basename(f, ext))
    .sort();
}

// dbt's generic-test naming, written out (dbt/parser/generic_test_builders.py and schema_generic_tests.py).

/** Python's repr() of a str. */
function pyReprString(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = '';
  for (const ch of s) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return quote + out + quote;
}

/** Python's str() of a value parsed from YAML. */
function pyStr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  return pyRepr(v);
}

/** Python's repr(): strings quoted, lists and dicts (in insertion order) as Python prints them. */
function pyRepr(v: unknown): string {
  if (typeof v === 'string') return pyReprString(v);
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  if (typeof v === 'object' && v !== null)
    return `{${Object.entries(v)
      .map(([k, x]) => `${pyReprString(k)}: ${pyRepr(x)}`)
      .join(', ')}}`;
  return pyStr(v);
}

/** get_hashable_md: dict keys sorted at every level, lists kept, every scalar through str(). */
function hashable(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(hashable);
  if (typeof v === 'object' && v !== null)
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, hashable((v as Record<string, unknown>)[k])]),
    );
  return pyStr(v);
}

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

/** The last 10 hex digits of md5(test name + repr of the hashable test_metadata). */
function testHash(name: string, md: TestMetadata): string {
  return md5(name + pyRepr(hashable({ namespace: md.namespace, name: md.name, kwargs: md.kwargs }))).slice(
    -10,
  );
}

/** [full name (unique_id, fqn), short name (alias: first 30 chars + md5 when the full name is 64+)]. */
function testNames(md: TestMetadata): [string, string] {
  const model = String(md.kwargs.model);
  const target = /get_where_subquery\((ref|source)\((.*)\)\)/.exec(model);
  if (target === null) throw new Error(`unexpected test model ${model}`);
  const [, kind = '', inner = ''] = target;
  const parts = [...inner.matchAll(/'([^']*)'/g)].map((m) => m[1] ?? '');
  const version = /version\s*=\s*'?([^')]+)'?/.exec(inner)?.[1];
  const targetName =
    kind === 'source'
      ? parts.join('_')
      : version === undefined
        ? (parts[0] ?? '')
        : `${parts[0]}_v${version}`;
  const testType = `${kind === 'source' ? 'source_' : ''}${md.namespace === null ? '' : `${md.namespace}_`}${md.name}`;
  const flat: string[] = [];
  for (const arg of Object.keys(md.kwargs).sort()) {
    if (arg === 'model') continue;
    const v = md.kwargs[arg];
    const parts = Array.isArray(v) ? v : typeof v === 'object' && v !== null ? Object.values(v) : [v];
    flat.push(...parts.map((p) => pyStr(p).replace(/[^0-9a-zA-Z_]+/g, '_')));
  }
  const identifier = `${testType}_${targetName}`;
  const full = `${identifier}_${flat.join('__')}`;
  return [full, full.length >= 64 ? `${identifier.slice(0, 30)}_${md5(full)}` : full];
}

/** Builds the venv if needed and runs `dbt parse` into tmp; throws with the reason if either fails. */
function dbtParse(): { manifest: Manifest; output: string } {
  let dbt: string;
  try {
    dbt = ensureDbt();
  } catch (e) {
    throw new Error(
      `cannot create the dbt virtual environment .venv-dbt (python3 -m venv, pip install from PyPI): ${
        e instanceof Error ? e.message : String(e)
      }`,
      { cause: e },
    );
  }
  const target = path.join(tmp, 'dbt');
  const run = spawnSync(
    dbt,
    dbtArgs(['parse', '--no-partial-parse', '--target-path', target, '--log-path', path.join(tmp, 'logs')]),
    { cwd: repo, encoding: 'utf8', env: dbtEnv({ DBT_USE_COLORS: 'false' }) },
  );
  const output = `${run.stdout}${run.stderr}`;
  if (run.status !== 0) throw new Error(`dbt parse failed (exit ${String(run.status)}):\n${output}`);
  return { manifest: readManifest(path.join(target, 'manifest.json'), 'dbt parse'), output };
}

let parsed: { manifest: Manifest; output: string } | Error;

/** dbt's manifest, or the setup failure: thrown inside each test, so they fail rather than skip. */
function dbtResult(): { manifest: Manifest; output: string } {
  if (parsed instanceof Error) throw parsed;
  return parsed;
}

beforeAll(() => {
  try {
    parsed = dbtParse();
  } catch (e) {
    parsed = e instanceof Error ? e : new Error(String(e));
  }
}, 600_000);

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('transform/ under real dbt (dbt-core + dbt-clickhouse)', () => {
  it('parses without warnings and finds every model, seed, singular test and source', () => {
    const { manifest: dbtManifest, output } = dbtResult();
    expect(output).not.toMatch(/WARNING|deprecat/i);
    const ids = Object.keys(dbtManifest.nodes);
    const names = (type: string) =>
      ids
        .filter((id) => id.startsWith(`${type}.farebox.`))
        .map((id) => id.split('.')[2])
        .sort();
    expect(names('model')).toEqual(filesUnder(path.join(projectDir, 'models'), '.sql'));
    expect(names('seed')).toEqual(filesUnder(path.join(projectDir, 'seeds'), '.csv'));
    const singular = filesUnder(path.join(projectDir, 'tests'), '.sql');
    expect(ids.filter((id) => singular.some((s) => id === `test.farebox.${s}`))).toHaveLength(
      singular.length,
    );
    expect(Object.keys(dbtManifest.sources).sort()).toEqual(
      ['dead_letters', 'load_ledger', 'raw_driver_documents', 'raw_trips', 'raw_vehicle_locations'].map(
        (t) => `source.farebox.farebox.${t}`,
      ),
    );
  });

  it("names generic tests by the rules farebox's runner reproduces", () => {
    const { manifest: dbtManifest } = dbtResult();
    const generic = Object.values(dbtManifest.nodes).filter((n) => n.test_metadata !== undefined);
    expect(generic.length).toBeGreaterThan(40);
    const wrong: string[] = [];
    for (const n of generic) {
      const md = n.test_metadata as TestMetadata;
      const [full, short] = testNames(md);
      const id = `test.farebox.${full}.${testHash(full, md)}`;
      if (n.unique_id !== id || n.name !== full || n.alias !== short)
        wrong.push(`${n.unique_id} (alias ${String(n.alias)}): the rules give ${id} (alias ${short})`);
    }
    expect(wrong).toEqual([]);
  });

  it('farebox compile writes the same model, seed, test and source ids, with the same depends_on', () => {
    const { manifest: dbtManifest } = dbtResult();
    const target = path.join(tmp, 'farebox');
    const run = spawnSync(
      process.execPath,
      [
        path.join(repo, 'bin', 'farebox.js'),
        'transform',
        'compile',
        '--project-dir',
        projectDir,
        '--target-path',
        target,
      ],
      { cwd: repo, encoding: 'utf8', env: { ...process.env, FAREBOX_HOME: path.join(tmp, 'home') } },
    );
    if (run.status !== 0)
      throw new Error(
        `farebox transform compile failed (exit ${String(run.status)}):\n${run.stdout}${run.stderr}`,
      );
    const ours = graphOf(readManifest(path.join(target, 'manifest.json'), 'farebox transform compile'));
    const theirs = graphOf(dbtManifest);
    const missing = [...theirs.keys()].filter((id) => !ours.has(id)).sort();
    const extra = [...ours.keys()].filter((id) => !theirs.has(id)).sort();
    const differing = [...theirs]
      .filter(([id, deps]) => ours.has(id) && JSON.stringify(ours.get(id)) !== JSON.stringify(deps))
      .map(([id, deps]) => `${id}: dbt ${deps.join(', ')} | farebox ${ours.get(id)?.join(', ') ?? ''}`);
    expect({ missing, extra, differing }).toEqual({ missing: [], extra: [], differing: [] });
  });
});
