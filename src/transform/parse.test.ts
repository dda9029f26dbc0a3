import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { isFareboxError, type FareboxError } from '../errors/index.ts';
import { compileNode } from './compile.ts';
import { buildGenericTest } from './generic-tests.ts';
import { inferType } from './seed.ts';
import { buildGraph, buildLineage, buildManifest, loadProject, selectNodes } from './index.ts';
import type { Project } from './types.ts';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const rides = (): Project => loadProject(path.join(fixtures, 'rides'), { targetSchema: 'fx' });
const temps: string[] = [];
afterAll(() => {
  for (const d of temps) fs.rmSync(d, { recursive: true, force: true });
});

/** A throwaway project from file contents, for the cases the fixtures do not cover. */
function writeProject(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'farebox-dbt-'));
  temps.push(dir);
  for (const [rel, text] of Object.entries({
    'dbt_project.yml': 'name: tmp\nconfig-version: 2\n',
    ...files,
  })) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

function loadError(dir: string): FareboxError {
  try {
    loadProject(dir, { targetSchema: 'fx' });
  } catch (e) {
    if (isFareboxError(e)) return e;
    throw e;
  }
  throw new Error('expected the project to be refused');
}

describe('generic test names and ids', () => {
  // Ids from dbt-core's own manifest of jaffle_shop: the names and the 10-character hashes must match.
  it.each([
    ['unique', 'customers', 'customer_id', 'unique_customers_customer_id.c5af1ff4b1'],
    ['not_null', 'customers', 'customer_id', 'not_null_customers_customer_id.5c9bf9911d'],
    ['not_null', 'orders', 'amount', 'not_null_orders_amount.106140f9fd'],
    [
      { relationships: { to: "ref('customers')", field: 'customer_id' } },
      'orders',
      'customer_id',
      'relationships_orders_customer_id__customer_id__ref_customers_.c6ec7f58f2',
    ],
    [
      { accepted_values: { values: ['placed', 'shipped', 'completed', 'return_pending', 'returned'] } },
      'orders',
      'status',
      'accepted_values_orders_status__placed__shipped__completed__return_pending__returned.be6b5b5ec3',
    ],
    [
      { accepted_values: { arguments: { values: ['credit_card', 'coupon', 'bank_transfer', 'gift_card'] } } },
      'stg_payments',
      'payment_method',
      'accepted_values_stg_payments_payment_method__credit_card__coupon__bank_transfer__gift_card.3c3820f278',
    ],
  ])('%j on %s.%s is %s', (entry, model, column, id) => {
    const t = buildGenericTest(entry, { kind: 'model', name: model }, column);
    expect(`${t.fullName}.${t.hash}`).toBe(id);
  });

  it('shortens names of 64 characters or more to 30 characters and an md5, keeping the full name for the id', () => {
    const t = buildGenericTest(
      { accepted_values: { values: ['a_rather_long_value', 'another_long_value', 'and_a_third'] } },
      { kind: 'model', name: 'fct_trips' },
      'payment_type_name',
    );
    expect(t.fullName.length).toBeGreaterThanOrEqual(64);
    expect(t.shortName).toMatch(/^accepted_values_fct_trips_[0-9a-f]{32}$/);
    expect(t.config.alias).toBe(t.shortName);
  });

  it('names source tests source_<test>_<source>_<table>_<column> and keeps severity out of the name', () => {
    const t = buildGenericTest(
      { not_null: { config: { severity: 'warn' } } },
      { kind: 'source', name: 'raw_trips', sourceName: 'farebox' },
      'event_id',
    );
    expect(t.fullName).toBe('source_not_null_farebox_raw_trips_event_id');
    expect(t.config.severity).toBe('warn');
    expect(t.kwargs.model).toBe("{{ get_where_subquery(source('farebox', 'raw_trips')) }}");
  });
});

describe('seed column types', () => {
  it.each([
    [['1', '22', '-3'], 'Int64'],
    [['1', '2.5', ''], 'Nullable(Float64)'],
    [['true', 'False'], 'Bool'],
    [['2024-01-02', ''], 'Nullable(Date)'],
    [['2024-01-02 03:04:05'], 'DateTime'],
    [['2024-01-02 03:04:05.123'], 'DateTime64(6)'],
    [['12', 'N/A'], 'String'],
    [['', ''], 'Nullable(String)'],
  ])('%j is %s', (values, type) => {
    expect(inferType(values)).toBe(type);
  });
});

describe('loading a project', () => {
  const project = rides();

  it('merges configuration from dbt_project.yml paths, properties YAML and config()', () => {
    const node = (id: string) => project.nodes.get(id);
    expect(node('model.rides.stg_rides')?.config.materialized).toBe('view');
    expect(node('model.rides.stg_rides')?.tags).toEqual(['rides', 'staging']);
    expect(node('model.rides.int_completed')?.config.materialized).toBe('ephemeral');
    const fct = node('model.rides.fct_rides');
    expect(fct?.config).toMatchObject({
      materialized: 'table',
      order_by: '(zone_id, ended_at)',
      engine: 'MergeTree()',
    });
    expect(node('model.rides.zone_rides')?.config).toMatchObject({
      materialized: 'incremental',
      unique_key: 'zone_id',
    });
    expect(node('seed.rides.zones')?.config.column_types).toEqual({ zone_id: 'Int32' });
    expect(node('test.rides.assert_fares_not_negative')?.config.severity).toBe('warn');
    expect(node('test.rides.not_null_stg_rides_fare.8fec9b6772')?.config.severity).toBe('warn');
    expect(node('test.rides.unique_stg_rides_ride_id.ad00947fa4')?.config.severity).toBe('error');
  });

  it('records refs and sources in dbt order: sources first, then refs as they appear', () => {
    expect(project.nodes.get('model.rides.fct_rides')?.dependsOn.nodes).toEqual([
      'model.rides.int_completed',
      'seed.rides.zones',
    ]);
    expect(project.nodes.get('model.rides.stg_rides')?.dependsOn.nodes).toEqual([
      'source.rides.raw.raw_rides',
    ]);
    const rel = [...project.nodes.values()].find((n) => n.name.startsWith('relationships_'));
    expect(rel?.dependsOn).toEqual({
      macros: ['macro.dbt.test_relationships', 'macro.dbt.get_where_subquery'],
      nodes: ['seed.rides.zones', 'model.rides.stg_rides'],
    });
    expect(project.sources.get('source.rides.raw.raw_rides')?.schema).toBe('fx');
    expect(project.exposures.get('exposure.rides.zone_sync')?.dependsOn.nodes).toEqual([
      'model.rides.zone_rides',
    ]);
  });

  it('writes a manifest in dbt v12 shape with parent and child maps', () => {
    const m = buildManifest(project, { invocationId: 'i', generatedAt: new Date(0) }) as {
      metadata: Record<string, unknown>;
      nodes: Record<string, Record<string, unknown>>;
      child_map: Record<string, string[]>;
    };
    expect(m.metadata).toMatchObject({
      dbt_schema_version: 'https://schemas.getdbt.com/dbt/manifest/v12.json',
      project_name: 'rides',
    });
    expect(m.nodes['model.rides.fct_rides']).toMatchObject({
      resource_type: 'model',
      package_name: 'rides',
      path: 'marts/fct_rides.sql',
      original_file_path: 'models/marts/fct_rides.sql',
      fqn: ['rides', 'marts', 'fct_rides'],
      refs: [
        { name: 'int_completed', package: null, version: null },
        { name: 'zones', package: null, version: null },
      ],
      relation_name: '`fx`.`fct_rides`',
    });
    expect(m.child_map['model.rides.zone_rides']).toEqual([
      'exposure.rides.rides_dashboard',
      'exposure.rides.zone_sync',
    ]);
  });

  it('draws lineage from sources through models and tests to exposures', () => {
    const lineage = buildLineage(project);
    const types = new Set(lineage.nodes.map((n) => n.type));
    expect(types).toEqual(new Set(['source', 'seed', 'model', 'test', 'exposure']));
    expect(lineage.edges).toContainEqual({ from: 'source.rides.raw.raw_rides', to: 'model.rides.stg_rides' });
    expect(lineage.edges).toContainEqual({
      from: 'model.rides.fct_rides',
      to: 'exposure.rides.rides_dashboard',
    });
    expect(lineage.nodes.find((n) => n.id === 'exposure.rides.zone_sync')).toMatchObject({
      kind: 'application',
    });
  });
});

describe('selection', () => {
  const project = rides();
  const graph = buildGraph(project);
  const names = (select: string[], exclude: string[] = [], types = ['model', 'seed'] as const) =>
    selectNodes(graph, project.name, { select, exclude, resourceTypes: types }).map((id) => id.split('.')[2]);

  it.each([
    [['stg_rides'], [], ['stg_rides']],
    [['+fct_rides'], [], ['int_completed', 'fct_rides', 'stg_rides', 'zones'].sort()],
    [['stg_rides+'], [], ['fct_rides', 'int_completed', 'rides_log', 'stg_rides', 'zone_rides']],
    [['stg_rides+1'], [], ['int_completed', 'rides_log', 'stg_rides', 'zone_rides']],
    [['1+fct_rides'], [], ['fct_rides', 'int_completed', 'zones']],
    [['tag:staging'], [], ['stg_rides']],
    [['path:models/marts'], [], ['fct_rides', 'rides_log', 'zone_rides']],
    [['marts'], ['zone_rides'], ['fct_rides', 'rides_log']],
    [['tag:marts,config.materialized:incremental'], [], ['rides_log', 'zone_rides']],
    [['resource_type:seed'], [], ['zones']],
    [['source:raw+'], ['tag:marts'], ['int_completed', 'stg_rides']],
    // The dashboard exposure is a descendant, so its other parent comes too.
    [['@int_completed'], [], ['fct_rides', 'int_completed', 'stg_rides', 'zones', 'zone_rides']],
    [['stg_*'], [], ['stg_rides']],
    [['zones fct_rides'], [], ['fct_rides', 'zones']],
  ])('--select %j --exclude %j', (select, exclude, expected) => {
    expect(names(select, exclude).sort()).toEqual([...expected].sort());
  });

  it('brings the tests of selected nodes along, unless they are excluded', () => {
    const tests = (select: string[], exclude: string[] = []) =>
      selectNodes(graph, project.name, { select, exclude, resourceTypes: ['test'] }).map(
        (id) => id.split('.')[2],
      );
    expect(tests(['zones']).sort()).toEqual([
      'not_null_zones_zone_id',
      'relationships_stg_rides_zone_id__zone_id__ref_zones_',
      'unique_zones_zone_id',
    ]);
    expect(tests(['zones'], ['test_name:relationships'])).not.toContain(
      'relationships_stg_rides_zone_id__zone_id__ref_zones_',
    );
    expect(tests(['test_type:singular'])).toEqual(['assert_fares_not_negative']);
  });

  it('refuses an unknown method with the known ones', () => {
    expect(() => names(['colour:red'])).toThrow(/unknown selector method 'colour:'/);
  });
});

describe('bad projects', () => {
  it('names the ref cycle', () => {
    const e = loadError(path.join(fixtures, 'cycle'));
    expect(e.code).toBe('transform_invalid');
    expect(e.message).toBe(
      'Found a cycle: model.cycle.a --> model.cycle.b --> model.cycle.c --> model.cycle.a',
    );
  });

  it('names an unknown ref with the closest model', () => {
    const e = loadError(path.join(fixtures, 'unknown-ref'));
    expect(e.message).toContain(
      "model 'fct_trips' (models/fct_trips.sql) depends on a node named 'stg_trip'",
    );
    expect(e.hint).toBe("did you mean ref('stg_trips')?");
  });

  it('names an unknown source with the closest one', () => {
    const dir = writeProject({
      'models/sources.yml': 'sources:\n  - name: farebox\n    tables:\n      - name: raw_trips\n',
      'models/stg.sql': "select * from {{ source('farebox', 'raw_trip') }}",
    });
    const e = loadError(dir);
    expect(e.message).toContain("depends on a source named 'farebox.raw_trip' which was not found");
    expect(e.hint).toBe("did you mean source('farebox', 'raw_trips')?");
  });

  it('names the file of a Jinja syntax error and of an undefined macro', () => {
    expect(loadError(writeProject({ 'models/m.sql': 'select {{ 1 + }}' })).message).toMatch(/models\/m\.sql/);
    const e = loadError(writeProject({ 'models/m.sql': 'select {{ no_such_macro() }}' }));
    expect(e.message).toMatch(/Compilation Error in models\/m\.sql.*no_such_macro/s);
  });
});

describe('Jinja as dbt renders it', () => {
  it('offers var, env_var, target, this, return(), do, dispatch and is_incremental', () => {
    const dir = writeProject({
      'dbt_project.yml': 'name: tmp\nconfig-version: 2\nvars:\n  tz: UTC\n  tmp:\n    scoped: 7\n',
      'macros/m.sql': [
        '{% macro pick(xs) %}{% set out = [] %}{% for x in xs %}{% do out.append(x * 2) %}{% endfor %}{{ return(out) }}{% endmacro %}',
        '{% macro default__greet(n) %}hello {{ n }}{% endmacro %}',
        '{% macro clickhouse__greet(n) %}ch {{ n }}{% endmacro %}',
      ].join('\n'),
      'models/m.sql': [
        "{{ config(materialized='incremental', tags=['x']) }}",
        "select '{{ var('tz') }}' as tz, {{ var('scoped') }} as s, '{{ var('missing', 'dflt') }}' as d,",
        "'{{ env_var('FAREBOX_TEST_ENV', 'none') }}' as e, '{{ target.name }}/{{ target.schema }}' as t,",
        "{{ pick([1, 2]) | join('+') }} as p, '{{ adapter.dispatch('greet')('you') }}' as g",
        'from {{ this }}{% if is_incremental() %} where 1{% endif %}',
      ].join('\n'),
    });
    const project = loadProject(dir, {
      targetSchema: 'fx',
      env: { FAREBOX_TEST_ENV: 'set' },
      vars: { tz: 'CET' },
    });
    const node = project.nodes.get('model.tmp.m');
    expect(node?.tags).toEqual(['x']);
    const options = { invocationId: 'i', runStartedAt: new Date(0) };
    const sql = compileNode(project, node!, true, options).sql;
    expect(sql).toContain("'CET' as tz, 7 as s, 'dflt' as d");
    expect(sql).toContain("'set' as e, 'dev/fx' as t");
    expect(sql).toContain("2+4 as p, 'ch you' as g");
    expect(sql).toContain('from `fx`.`m` where 1');
    expect(compileNode(project, node!, false, options).sql).not.toContain('where 1');
  });

  it('inlines ephemeral models as CTEs, nested ones first, inside an existing WITH', () => {
    const dir = writeProject({
      'models/e1.sql': "{{ config(materialized='ephemeral') }}select 1 as x",
      'models/e2.sql': "{{ config(materialized='ephemeral') }}select x from {{ ref('e1') }}",
      'models/m.sql': "with y as (select 2) select * from {{ ref('e2') }}, y",
    });
    const project = loadProject(dir, { targetSchema: 'fx' });
    const sql = compileNode(project, project.nodes.get('model.tmp.m')!, false, {
      invocationId: 'i',
      runStartedAt: new Date(0),
    }).sql;
    expect(sql.replace(/\s+/g, ' ')).toBe(
      'with __dbt__cte__e1 as ( select 1 as x ), __dbt__cte__e2 as ( select x from __dbt__cte__e1 ), y as (select 2) select * from __dbt__cte__e2, y',
    );
  });

  it("narrows a test's model with its where: config and renders hooks with the node's context", () => {
    const dir = writeProject({
      'models/m.sql':
        "{{ config(pre_hook='SELECT 1', post_hook=['OPTIMIZE TABLE {{ this }}']) }}select 1 as id",
      'models/schema.yml':
        'models:\n  - name: m\n    columns:\n      - name: id\n        data_tests:\n          - unique:\n              config:\n                where: "id > 0"\n',
    });
    const project = loadProject(dir, { targetSchema: 'fx' });
    const options = { invocationId: 'i', runStartedAt: new Date(0) };
    const test = [...project.nodes.values()].find((n) => n.resourceType === 'test');
    expect(test?.rawCode).toBe('{{ test_unique(**_dbt_generic_test_kwargs) }}{{ config(where="id > 0") }}');
    expect(compileNode(project, test!, false, options).sql).toContain(
      'from (select * from `fx`.`m` where id > 0) dbt_subquery',
    );
    const model = compileNode(project, project.nodes.get('model.tmp.m')!, false, options);
    expect([model.preHooks, model.postHooks]).toEqual([['SELECT 1'], ['OPTIMIZE TABLE `fx`.`m`']]);
  });

  it('asks for a var that is not set, naming the model', () => {
    const dir = writeProject({ 'models/m.sql': "select {{ var('nope') }}" });
    const project = loadProject(dir, { targetSchema: 'fx' });
    expect(() =>
      compileNode(project, project.nodes.get('model.tmp.m')!, false, {
        invocationId: 'i',
        runStartedAt: new Date(),
      }),
    ).toThrow("Required var 'nope' not found in config in model m (models/m.sql)");
  });
});
