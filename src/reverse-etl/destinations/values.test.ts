import { describe, expect, it } from 'vitest';
import type { SyncColumn } from '../types.ts';
import { baseChType, jsonRow, jsonValue } from './values.ts';

describe('jsonValue', () => {
  it('keeps null null, whatever the type', () => {
    expect(jsonValue(null, 'Nullable(Int32)')).toBeNull();
    expect(jsonValue(null, 'String')).toBeNull();
  });

  it('looks through Nullable and LowCardinality', () => {
    expect(baseChType('LowCardinality(Nullable(String))')).toBe('String');
    expect(jsonValue('7', 'Nullable(UInt8)')).toBe(7);
    expect(jsonValue('7', 'LowCardinality(Nullable(Int16))')).toBe(7);
  });

  it('reads small integers and floats as numbers, nan and inf as null', () => {
    expect(jsonValue('-128', 'Int8')).toBe(-128);
    expect(jsonValue('4294967295', 'UInt32')).toBe(4294967295);
    expect(jsonValue('12.5', 'Float32')).toBe(12.5);
    expect(jsonValue('1e-7', 'Float64')).toBe(1e-7);
    expect(jsonValue('nan', 'Float64')).toBeNull();
    expect(jsonValue('inf', 'Float64')).toBeNull();
    expect(jsonValue('-inf', 'Float32')).toBeNull();
  });

  it('reads wide integers as numbers only when safe', () => {
    expect(jsonValue('9007199254740991', 'Int64')).toBe(9007199254740991);
    expect(jsonValue('-42', 'Int64')).toBe(-42);
    expect(jsonValue('9007199254740993', 'Int64')).toBe('9007199254740993');
    expect(jsonValue('18446744073709551615', 'UInt64')).toBe('18446744073709551615');
    expect(jsonValue('170141183460469231731687303715884105727', 'Int128')).toBe(
      '170141183460469231731687303715884105727',
    );
  });

  it('reads decimals as numbers unless digits would be lost', () => {
    expect(jsonValue('12.34', 'Decimal(10, 2)')).toBe(12.34);
    expect(jsonValue('-0.000123', 'Decimal64(6)')).toBe(-0.000123);
    expect(jsonValue('1200', 'Decimal(18, 0)')).toBe(1200);
    expect(jsonValue('12345678901234567.89', 'Decimal(38, 2)')).toBe('12345678901234567.89');
  });

  it('reads Bool as a boolean', () => {
    expect(jsonValue('true', 'Bool')).toBe(true);
    expect(jsonValue('false', 'Nullable(Bool)')).toBe(false);
  });

  it('keeps everything else as text', () => {
    expect(jsonValue('2024-01-02T03:04:05Z', "DateTime64(3, 'UTC')")).toBe('2024-01-02T03:04:05Z');
    expect(jsonValue('2024-01-02', 'Date')).toBe('2024-01-02');
    expect(jsonValue('0123', 'String')).toBe('0123');
    expect(jsonValue('a1b2c3d4-0000-0000-0000-000000000000', 'UUID')).toBe(
      'a1b2c3d4-0000-0000-0000-000000000000',
    );
    expect(jsonValue('card', "Enum8('cash' = 1, 'card' = 2)")).toBe('card');
  });

  it('sends text that does not read as its type as it is', () => {
    expect(jsonValue('x', 'Int32')).toBe('x');
    expect(jsonValue('', 'Float64')).toBe('');
  });
});

describe('jsonRow', () => {
  const columns: SyncColumn[] = [
    { name: 'id', chType: 'UInt32', key: true },
    { name: 'name', chType: 'String', key: false },
    { name: 'fare', chType: 'Nullable(Decimal(10, 2))', key: false },
  ];

  it('types every column, in column order', () => {
    const row = { op: 'added' as const, key: '1', values: { fare: null, name: 'a', id: '1' } };
    const out = jsonRow(row, columns);
    expect(out).toEqual({ id: 1, name: 'a', fare: null });
    expect(Object.keys(out)).toEqual(['id', 'name', 'fare']);
  });

  it('leaves out the columns a deleted row does not carry', () => {
    expect(jsonRow({ op: 'deleted', key: '1', values: { id: '1' } }, columns)).toEqual({ id: 1 });
  });
});
