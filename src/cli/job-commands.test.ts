/**
 * Every job's command (what an Airflow task runs) parses as the farebox CLI reads it, back to the job's
 * settings: the commands' actions are swapped for one that records what it was given.
 */
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/index.ts';
import { jobCommand, parseDuration, parsePipeline, type Job } from '../orchestrate/index.ts';
import { buildProgram } from './index.ts';
import { pipelinesOf } from './project.ts';

interface Parsed {
  command: string;
  opts: Record<string, unknown>;
}

/** What the CLI makes of a job's command line. */
async function parse(job: Job): Promise<Parsed> {
  const program = buildProgram();
  let parsed: Parsed | undefined;
  const visit = (c: Command, names: string[]): void => {
    c.exitOverride();
    if (c.commands.length === 0)
      c.action((...args: unknown[]) => {
        parsed = { command: [...names, c.name()].join(' '), opts: (args.at(-1) as Command).opts() };
      });
    for (const sub of c.commands) visit(sub, [...names, c.name()]);
  };
  visit(program, []);
  const argv = jobCommand(job, { projectDir: 'transform' });
  expect(argv.slice(0, 2)).toEqual(['npx', 'farebox']);
  await program.parseAsync(argv.slice(2), { from: 'user' });
  if (parsed === undefined) throw new Error(`no command ran for ${argv.join(' ')}`);
  return parsed;
}

describe('job commands', () => {
  it("every job of the repo's pipelines is a farebox command", async () => {
    process.env.DRIVER_NOTIFY_URL ??= 'http://127.0.0.1:9/notify'; // enables the scheduled tier_changes sync
    const pipelines = pipelinesOf(parseConfig({ env: {} }));
    expect(pipelines.map((p) => p.name)).toContain('sync_tier_changes');
    for (const p of pipelines)
      for (const job of p.jobs)
        expect((await parse(job)).command).toMatch(/^farebox (transform|orchestrate|sync) /);
  });

  it('ttl and clean_objects jobs read back as the same settings', async () => {
    const p = parsePipeline(
      'pipelines/u.yaml',
      [
        'pipeline: u',
        'schedule: { every: 1d }',
        'jobs:',
        '  - name: expire',
        '    ttl: { table: raw_vehicle_locations, column: event_time, keep: 36h }',
        '  - name: clean',
        '    clean_objects:',
        '  - name: look',
        '    clean_objects: { min_age: 1500ms, dry_run: true }',
        '',
      ].join('\n'),
      { models: [] },
    );
    for (const job of p.jobs) {
      const { command, opts } = await parse(job);
      const a = job.action;
      if (a.kind === 'ttl') {
        expect(command).toBe('farebox orchestrate ttl');
        expect({ ...opts, keep: parseDuration(opts.keep as string) }).toEqual({
          table: a.table,
          column: a.column,
          keep: a.keepMs,
        });
      } else if (a.kind === 'clean_objects') {
        expect(command).toBe('farebox orchestrate clean-objects');
        expect(parseDuration(opts.minAge as string)).toBe(a.minAgeMs);
        expect(opts.dryRun === true).toBe(a.dryRun);
      } else throw new Error(`unexpected ${a.kind}`);
    }
  });
});
