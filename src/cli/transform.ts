/** `farebox transform seed|run|test|build|compile|ls|docs`: the dbt-format project, built in the warehouse. */
import fs from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'commander';
import YAML from 'yaml';
import { environment, repoRoot, type Config } from '../config/index.ts';
import { FareboxError } from '../errors/index.ts';
import {
  buildGraph,
  loadProject,
  resultLine,
  runCommand,
  selectNodes,
  summary,
  unmatched,
  writeLineage,
  writeManifest,
  writeRunResults,
  type AnyResource,
  type Command as RunnerCommand,
  type Project,
} from '../transform/index.ts';
import { migrate, openWarehouse } from '../warehouse/index.ts';

interface Options {
  projectDir?: string;
  targetPath?: string;
  select?: string[];
  exclude?: string[];
  threads?: string;
  fullRefresh?: boolean;
  vars?: string;
  resourceType?: string[];
  output: 'selector' | 'name' | 'path' | 'json';
}

const out = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};

/** --project-dir, or ./transform from here, or the repository's transform/. */
function projectDir(given: string | undefined): string {
  if (given !== undefined) return path.resolve(given);
  const here = path.resolve('transform');
  return fs.existsSync(path.join(here, 'dbt_project.yml')) ? here : path.join(repoRoot, 'transform');
}

function parseVars(text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  const vars: unknown = YAML.parse(text);
  if (vars === null || typeof vars !== 'object' || Array.isArray(vars))
    throw new FareboxError('bad_request', `--vars must be a YAML or JSON mapping, got '${text}'`, {
      hint: `e.g. --vars '{scoring_window_days: 7}'`,
    });
  return vars as Record<string, unknown>;
}

function threads(text = '4'): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 64)
    throw new FareboxError('bad_request', `--threads must be an integer from 1 to 64, got '${text}'`);
  return n;
}

function load(config: Config, opts: Options): { project: Project; targetDir: string } {
  const dir = projectDir(opts.projectDir);
  const project = loadProject(dir, {
    targetSchema: config.warehouse.database,
    vars: parseVars(opts.vars),
    env: environment(),
    threads: threads(opts.threads),
  });
  return { project, targetDir: path.resolve(dir, opts.targetPath ?? 'target') };
}

function found(project: Project): string {
  const count = (type: string): number =>
    [...project.nodes.values()].filter((n) => n.resourceType === type).length;
  const parts = [
    [count('model'), 'model'],
    [count('test'), 'data test'],
    [count('seed'), 'seed'],
    [project.sources.size, 'source'],
    [project.exposures.size, 'exposure'],
    [project.macros.size, 'macro'],
  ] as const;
  return `Found ${parts.map(([n, w]) => `${n} ${w}${n === 1 ? '' : 's'}`).join(', ')}`;
}

async function execute(command: RunnerCommand, config: Config, opts: Options): Promise<void> {
  const { project, targetDir } = load(config, opts);
  const graph = buildGraph(project);
  const warehouse = await openWarehouse(config.warehouse);
  try {
    await migrate(warehouse);
    out(found(project));
    for (const miss of unmatched(graph, project.name, [...(opts.select ?? []), ...(opts.exclude ?? [])]))
      out(`warning: ${miss}`);
    out(
      `Concurrency: ${threads(opts.threads)} threads (target='${project.target.name}', database '${project.target.schema}')`,
    );
    out();
    const run = {
      command,
      select: opts.select,
      exclude: opts.exclude,
      threads: threads(opts.threads),
      fullRefresh: opts.fullRefresh === true,
      targetDir,
    };
    const outcome = await runCommand(project, graph, run, {
      warehouse,
      onResult: (r, total) => out(resultLine(r, total, command)),
    });
    await writeManifest(
      targetDir,
      project,
      { invocationId: outcome.invocationId, generatedAt: new Date() },
      outcome,
    );
    await writeRunResults(targetDir, outcome, run);
    for (const line of summary(outcome)) out(line);
    if (command === 'compile' && outcome.results.length === 1 && outcome.results[0]?.compiledCode != null)
      out(`\n${outcome.results[0].compiledCode}`);
    if (!outcome.success) process.exitCode = 1;
  } finally {
    await warehouse.close();
  }
}

function listed(r: AnyResource, output: Options['output']): string {
  if (output === 'name') return r.name;
  if (output === 'path') return r.originalFilePath;
  if (output === 'json')
    return JSON.stringify({
      name: r.name,
      resource_type: r.resourceType,
      unique_id: r.uniqueId,
      original_file_path: r.originalFilePath,
      tags: r.tags,
      ...('config' in r ? { config: r.config } : {}),
      ...('dependsOn' in r ? { depends_on: r.dependsOn } : {}),
    });
  if (r.resourceType === 'source') return `source:${r.fqn[0] ?? ''}.${r.sourceName}.${r.name}`;
  if (r.resourceType === 'exposure') return `exposure:${r.fqn[0] ?? ''}.${r.name}`;
  return r.fqn.join('.');
}

function ls(config: Config, opts: Options): void {
  const { project } = load(config, opts);
  const graph = buildGraph(project);
  const types = opts.resourceType ?? ['model', 'seed', 'test', 'source', 'exposure'];
  const ids = selectNodes(graph, project.name, {
    select: opts.select,
    exclude: opts.exclude,
    resourceTypes: types as ('model' | 'seed' | 'test' | 'source' | 'exposure')[],
  });
  for (const miss of unmatched(graph, project.name, [...(opts.select ?? []), ...(opts.exclude ?? [])]))
    process.stderr.write(`warning: ${miss}\n`);
  for (const id of [...ids].sort()) out(listed(graph.resources.get(id) as AnyResource, opts.output));
}

async function docs(config: Config, opts: Options): Promise<void> {
  const { project, targetDir } = load(config, opts);
  const manifest = await writeManifest(targetDir, project, {
    invocationId: crypto.randomUUID(),
    generatedAt: new Date(),
  });
  const lineage = await writeLineage(targetDir, project);
  out(found(project));
  out(`Wrote ${path.relative(process.cwd(), manifest)} and ${path.relative(process.cwd(), lineage)}`);
}

const examples = `
Examples:
  npx farebox transform build                          seeds, models and tests of ./transform, in DAG order
  npx farebox transform run -s staging                 the models under models/staging
  npx farebox transform run -s +fct_trips              fct_trips and everything upstream of it
  npx farebox transform run -s stg_trips+ --exclude tag:slow
  npx farebox transform run --full-refresh -s tag:incremental
  npx farebox transform test -s fct_trips              fct_trips' tests (and relationships touching it)
  npx farebox transform ls -s path:models/marts --output path
  npx farebox transform compile -s fct_trips           print fct_trips' SQL as it would run
  npx farebox transform docs                           target/manifest.json and target/lineage.json
  npx farebox transform run --vars '{scoring_window_days: 7}'

Selectors (dbt's syntax): name, +name (and parents), name+ (and children), 2+name+1 (depth), @name,
tag:x, path:models/marts, resource_type:seed, source:raw+, exposure:x, test_type:generic, config.materialized:view;
space-separated selectors are a union, comma-separated an intersection.
Models build in the warehouse's database (FAREBOX_WAREHOUSE); a model with schema config 'x' builds in <database>_x.
Artifacts in dbt's shape go to <project>/target: manifest.json, run_results.json, compiled/ (and lineage.json from docs).
Exit status is 1 when a node errors or a test with severity error fails.`;

export function transformCommand(configFrom: (cmd: Command) => Config): Command {
  const group = new Command('transform')
    .description('build the dbt-format SQL project (transform/) in the warehouse: seeds, models, tests')
    .addHelpText('after', examples);
  const project = (c: Command): Command =>
    c
      .option('--project-dir <dir>', 'folder with dbt_project.yml (default: ./transform)')
      .option('--target-path <dir>', 'where artifacts go, relative to the project (default: target)')
      .option('--vars <yaml>', "project vars as YAML or JSON, e.g. '{key: value}'");
  const selecting = (c: Command): Command =>
    project(c)
      .option('-s, --select <selectors...>', 'nodes to include (dbt selection syntax)')
      .option('--exclude <selectors...>', 'nodes to leave out');
  const run: [RunnerCommand, string][] = [
    ['seed', 'load the CSV files under seeds/ into tables'],
    ['run', 'build the selected models (view, table, incremental; ephemeral ones are inlined)'],
    ['test', 'run data tests; failing rows are sampled in the summary'],
    ['build', 'seeds, models and tests in DAG order; a failing test skips what is built from its model'],
    ['compile', 'render the selected models and tests to SQL under target/compiled without running them'],
  ];
  for (const [name, description] of run)
    selecting(group.command(name).description(description))
      .option('--threads <n>', 'nodes built at once', '4')
      .option('--full-refresh', 'rebuild incremental models from scratch')
      .addHelpText('after', examples)
      .action(async (opts: Options, cmd: Command) => execute(name, configFrom(cmd), opts));
  selecting(group.command('ls').description('list the selected resources'))
    .option('--resource-type <types...>', 'model, seed, test, source, exposure')
    .addOption(
      new Option('--output <format>', 'how to print each')
        .choices(['selector', 'name', 'path', 'json'])
        .default('selector'),
    )
    .action((opts: Options, cmd: Command) => ls(configFrom(cmd), opts));
  project(
    group
      .command('docs')
      .description('write target/manifest.json and target/lineage.json (the lineage graph)'),
  ).action(async (opts: Options, cmd: Command) => docs(configFrom(cmd), opts));
  return group;
}
