/**
 * `seed`, `run`, `test`, `build` and `compile`: the selected nodes in DAG order on parallel threads. A
 * node that errors (or a test that fails, in `build`) skips what depends on it; the rest goes on.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { FareboxError } from '../errors/index.ts';
import type { Warehouse } from '../warehouse/index.ts';
import { compileNode } from './compile.ts';
import { reach, type Graph } from './graph.ts';
import { buildTable, buildView, insertIncrement, type BuildResult } from './materialize.ts';
import { runTasks } from './scheduler.ts';
import { loadSeed } from './seed.ts';
import { selectNodes } from './select.ts';
import { createDb, qualified, type Db } from './sql.ts';
import { runTest } from './test-exec.ts';
import type { Node, NodeType, Project } from './types.ts';

export type Command = 'seed' | 'run' | 'test' | 'build' | 'compile';
export type NodeStatus = 'success' | 'error' | 'skipped' | 'pass' | 'fail' | 'warn';

export interface RunConfig {
  command: Command;
  select?: readonly string[] | undefined;
  exclude?: readonly string[] | undefined;
  threads: number;
  fullRefresh: boolean;
  /** The project's target folder: compiled SQL goes to compiled/<project>/… under it. */
  targetDir?: string | undefined;
}

export interface Timing {
  name: 'compile' | 'execute';
  started_at: string;
  completed_at: string;
}

export interface NodeResult {
  node: Node;
  /** "3 of 7": the order the node started (or was skipped) in. */
  index: number;
  status: NodeStatus;
  message: string | null;
  failures: number | null;
  executionTime: number;
  timing: Timing[];
  adapterResponse: Record<string, unknown>;
  compiledCode: string | null;
  compiledPath: string | null;
  relationName: string | null;
  /** Failing rows of a test that failed or warned. */
  sample: Record<string, unknown>[];
  threadId: string;
  note?: string;
  /** What went wrong, for an error. */
  error?: FareboxError;
}

export interface RunOutcome {
  command: Command;
  invocationId: string;
  startedAt: Date;
  elapsedSeconds: number;
  /** Nodes in the order they started. */
  results: NodeResult[];
  /** True when nothing errored and no error-severity test failed. */
  success: boolean;
}

export interface RunDeps {
  warehouse: Warehouse;
  /** Each node's result as it finishes (or is skipped). */
  onResult?: (result: NodeResult, total: number) => void;
}

const commandTypes: Record<Command, NodeType[]> = {
  seed: ['seed'],
  run: ['model'],
  test: ['test'],
  build: ['seed', 'model', 'test'],
  compile: ['model', 'test'],
};

/** What each selected node waits for: its nearest selected ancestors, and in `build` the tests upstream. */
function dependencies(graph: Graph, selected: readonly string[], command: Command): Map<string, string[]> {
  const chosen = new Set(selected);
  const deps = new Map<string, string[]>();
  for (const id of selected) {
    const out = new Set<string>();
    const stack = [...(graph.parents.get(id) ?? [])];
    const seen = new Set<string>();
    while (stack.length > 0) {
      const p = stack.pop() as string;
      if (seen.has(p)) continue;
      seen.add(p);
      if (chosen.has(p)) out.add(p);
      else stack.push(...(graph.parents.get(p) ?? []));
    }
    deps.set(id, [...out]);
  }
  if (command === 'build') {
    // dbt's add_test_edges: a node waits for every test whose tested nodes all lie upstream of it.
    const tests = selected.filter((id) => id.startsWith('test.'));
    for (const id of selected) {
      if (id.startsWith('test.')) continue;
      const upstream = reach(graph.parents, [id]);
      for (const t of tests)
        if ((graph.parents.get(t) ?? []).every((p) => upstream.has(p))) deps.get(id)?.push(t);
    }
  }
  return deps;
}

function isIncrementalRun(node: Node, fullRefresh: boolean, existing: string | undefined): boolean {
  const refresh = fullRefresh && node.config.full_refresh !== false;
  return node.config.materialized === 'incremental' && existing === 'table' && !refresh;
}

async function execute(db: Db, node: Node, sql: string, incremental: boolean): Promise<BuildResult> {
  if (node.resourceType === 'seed') return loadSeed(db, node);
  const materialized = String(node.config.materialized);
  if (materialized === 'view') return buildView(db, node, sql);
  if (materialized === 'table') return buildTable(db, node, sql);
  if (materialized === 'incremental')
    return incremental ? insertIncrement(db, node, sql) : buildTable(db, node, sql);
  throw new FareboxError(
    'transform_invalid',
    `model ${node.name} (${node.originalFilePath}) is materialized '${materialized}'; farebox builds view, table, incremental and ephemeral`,
    { where: node.originalFilePath },
  );
}

function compiledFile(project: Project, node: Node): string {
  return node.resourceType === 'test' && node.testMetadata !== undefined
    ? path.posix.join('compiled', project.name, node.originalFilePath, node.path)
    : path.posix.join('compiled', project.name, node.originalFilePath);
}

export async function runCommand(
  project: Project,
  graph: Graph,
  config: RunConfig,
  deps: RunDeps,
): Promise<RunOutcome> {
  const startedAt = new Date();
  const invocationId = randomUUID();
  const db = createDb(deps.warehouse);
  const ids = selectNodes(graph, project.name, {
    select: config.select,
    exclude: config.exclude,
    resourceTypes: commandTypes[config.command],
  }).filter((id) => project.nodes.get(id)?.config.materialized !== 'ephemeral');
  const waits = dependencies(graph, ids, config.command);
  const results: NodeResult[] = [];
  let started = 0;
  const finish = (r: NodeResult): void => {
    results.push(r);
    deps.onResult?.(r, ids.length);
  };
  const blank = (node: Node, status: NodeStatus): NodeResult => ({
    node,
    index: ++started,
    status,
    message: null,
    failures: null,
    executionTime: 0,
    timing: [],
    adapterResponse: {},
    compiledCode: null,
    compiledPath: null,
    relationName: node.resourceType === 'test' ? null : qualified(node.schema, node.alias),
    sample: [],
    threadId: `Thread-${((started - 1) % Math.max(1, config.threads)) + 1}`,
  });

  const runOne = async (node: Node): Promise<boolean> => {
    const result = blank(node, 'success');
    const t0 = Date.now();
    const stamp = (): string => new Date().toISOString();
    let phase: Timing = { name: 'compile', started_at: stamp(), completed_at: '' };
    try {
      const existing =
        node.config.materialized === 'incremental' ? await db.kindOf(node.schema, node.alias) : undefined;
      const incremental = isIncrementalRun(node, config.fullRefresh, existing);
      const compiled = compileNode(project, node, incremental, { invocationId, runStartedAt: startedAt });
      result.compiledCode = node.resourceType === 'seed' ? null : compiled.sql;
      if (config.targetDir !== undefined && result.compiledCode !== null) {
        const file = path.join(config.targetDir, compiledFile(project, node));
        // Shown from the project root as dbt does, or whole when --target-path is elsewhere.
        const shown = path.relative(project.dir, file);
        result.compiledPath = shown.startsWith('..') ? file : shown.split(path.sep).join('/');
        await fs.mkdir(path.dirname(file), { recursive: true });
        await fs.writeFile(file, `${result.compiledCode}\n`);
      }
      phase.completed_at = stamp();
      result.timing.push(phase);
      phase = { name: 'execute', started_at: stamp(), completed_at: '' };
      if (config.command === 'compile') result.message = 'compiled';
      else if (node.resourceType === 'test') {
        const outcome = await runTest(db, node, compiled.sql);
        Object.assign(result, {
          status: outcome.status,
          failures: outcome.failures,
          message: outcome.message,
        });
        result.sample = outcome.sample;
      } else {
        for (const hook of compiled.preHooks) await db.command(hook);
        const built = await execute(db, node, compiled.sql, incremental);
        for (const hook of compiled.postHooks) await db.command(hook);
        result.message = built.message;
        result.adapterResponse = { _message: built.message, rows_affected: built.rowsAffected };
        if (built.note !== undefined) result.note = built.note;
      }
      phase.completed_at = stamp();
      result.timing.push(phase);
    } catch (e) {
      const error =
        e instanceof FareboxError
          ? e
          : new FareboxError('internal', e instanceof Error ? e.message : String(e));
      Object.assign(result, { status: 'error', message: error.message, error });
    }
    result.executionTime = (Date.now() - t0) / 1000;
    finish(result);
    // In build a failing test stops what is downstream of the node it tests; a warning does not.
    return result.status !== 'error' && result.status !== 'fail';
  };

  await runTasks(
    ids.map((id) => ({
      id,
      deps: waits.get(id) ?? [],
      run: () => runOne(project.nodes.get(id) as Node),
    })),
    config.threads,
    (id, because) => {
      const r = blank(project.nodes.get(id) as Node, 'skipped');
      r.message = `skipped because ${because} did not succeed`;
      finish(r);
    },
  );
  results.sort((a, b) => a.index - b.index);
  return {
    command: config.command,
    invocationId,
    startedAt,
    elapsedSeconds: (Date.now() - startedAt.getTime()) / 1000,
    results,
    success: results.every((r) => r.status !== 'error' && r.status !== 'fail'),
  };
}
