/**
 * `readTlcFile`: a TLC CSV or Parquet file → trip_completed events, streamed, with progress.
 * Rows that cannot be parsed come out as errors naming the line and column, never silently dropped.
 */
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, parquetSchema } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import type { TripCompleted } from '../../contracts/index.ts';
import { FareboxError, wrapError } from '../../errors/index.ts';
import { RowError, toTrip, type Cell } from './convert.ts';
import { detectLayout, type Layout } from './layouts.ts';

export type TlcRow = { line: number; event: TripCompleted } | { line: number; error: string; raw: string };

export interface TlcImport {
  layout: Layout & { format: 'csv' | 'parquet' };
  /** Progress in bytes (CSV) or rows (Parquet). */
  progress: { total: number; unit: 'bytes' | 'rows'; done(): number };
  rows(): AsyncIterable<TlcRow>;
}

function convert(
  record: Record<string, Cell>,
  layout: Layout,
  source: string,
  line: number,
  raw: () => string,
): TlcRow {
  try {
    return { line, event: toTrip(record, layout, source, line) };
  } catch (e) {
    if (e instanceof RowError) return { line, error: e.message, raw: raw() };
    throw e;
  }
}

async function readCsv(file: string, source: string): Promise<TlcImport> {
  const size = (await fs.stat(file)).size;
  const head =
    (await fs.readFile(file, { encoding: 'utf8', flag: 'r' })).slice(0, 4096).split(/\r?\n/)[0] ?? '';
  const header = head.split(',').map((c) => c.replace(/^"|"$/g, '').trim().toLowerCase());
  const layout = detectLayout(header, file);
  let bytes = 0;
  return {
    layout: { ...layout, format: 'csv' },
    progress: { total: size, unit: 'bytes', done: () => bytes },
    async *rows() {
      const stream = createReadStream(file);
      stream.on('data', (chunk) => (bytes += chunk.length));
      const parser = stream.pipe(
        parse({ from_line: 2, relax_column_count: true, skip_empty_lines: true, info: true, raw: true }),
      );
      for await (const item of parser as AsyncIterable<{
        record: string[];
        info: { lines: number };
        raw: string;
      }>) {
        const line = item.info.lines;
        if (item.record.length !== header.length) {
          yield {
            line,
            error: `line has ${item.record.length} fields, the header has ${header.length}`,
            raw: item.raw.trimEnd(),
          };
          continue;
        }
        const record: Record<string, Cell> = {};
        header.forEach((c, i) => (record[c] = item.record[i]));
        yield convert(record, layout, source, line, () => item.raw.trimEnd());
      }
    },
  };
}

async function readParquet(file: string, source: string): Promise<TlcImport> {
  const buffer = await asyncBufferFromFile(file);
  const metadata = await parquetMetadataAsync(buffer);
  const columns = parquetSchema(metadata).children.map((c) => c.element.name);
  const layout = detectLayout(columns, file);
  const total = Number(metadata.num_rows);
  let done = 0;
  return {
    layout: { ...layout, format: 'parquet' },
    progress: { total, unit: 'rows', done: () => done },
    async *rows() {
      let start = 0;
      for (const group of metadata.row_groups) {
        const end = start + Number(group.num_rows);
        const objects = (await parquetReadObjects({
          file: buffer,
          metadata,
          compressors,
          rowStart: start,
          rowEnd: end,
          utf8: true,
        })) as Record<string, Cell>[];
        for (const [i, o] of objects.entries()) {
          const record: Record<string, Cell> = {};
          for (const [k, v] of Object.entries(o)) record[k.toLowerCase()] = v;
          const line = start + i + 1;
          yield convert(record, layout, source, line, () =>
            JSON.stringify(o, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v)),
          );
          done++;
        }
        start = end;
      }
    },
  };
}

/** Opens a TLC trip file (CSV or Parquet, yellow or green) and detects its layout. */
export async function readTlcFile(file: string): Promise<TlcImport> {
  const source = path.basename(file).replace(/\.(csv|parquet)$/i, '');
  let magic: Buffer;
  try {
    const handle = await fs.open(file, 'r');
    magic = Buffer.alloc(4);
    await handle.read(magic, 0, 4, 0);
    await handle.close();
  } catch (e) {
    throw wrapError('import_io', `cannot read ${file}`, e, {
      hint: 'check the path; TLC files are CSV or Parquet',
    });
  }
  if (magic.toString('latin1') === 'PAR1') return readParquet(file, source);
  if (/\.parquet$/i.test(file))
    throw new FareboxError('import_io', `${file} is named .parquet but is not a Parquet file`, {
      where: file,
    });
  return readCsv(file, source);
}
