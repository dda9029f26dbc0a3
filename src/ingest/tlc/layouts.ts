/**
 * The column layouts the TLC has published. Names match case-insensitively and in any order
 * (`Airport_fee` and `airport_fee` both occur). A layout decides the taxi kind and the contract version.
 */
import { FareboxError } from '../../errors/index.ts';

export interface Layout {
  name: string;
  taxiKind: 'yellow' | 'green';
  contractVersion: 1 | 2;
  required: string[];
  optional: string[];
}

const money = [
  'fare_amount',
  'extra',
  'mta_tax',
  'tip_amount',
  'tolls_amount',
  'improvement_surcharge',
  'total_amount',
];
const yellow = [
  'vendorid',
  'tpep_pickup_datetime',
  'tpep_dropoff_datetime',
  'passenger_count',
  'trip_distance',
  'ratecodeid',
  'store_and_fwd_flag',
  'pulocationid',
  'dolocationid',
  'payment_type',
  ...money,
];
const green = [
  'vendorid',
  'lpep_pickup_datetime',
  'lpep_dropoff_datetime',
  'store_and_fwd_flag',
  'ratecodeid',
  'pulocationid',
  'dolocationid',
  'passenger_count',
  'trip_distance',
  ...money,
  'ehail_fee',
  'payment_type',
  'trip_type',
];

export const layouts: Layout[] = [
  {
    name: 'yellow 2025+ (with cbd_congestion_fee)',
    taxiKind: 'yellow',
    contractVersion: 2,
    required: [...yellow, 'congestion_surcharge', 'airport_fee', 'cbd_congestion_fee'],
    optional: [],
  },
  {
    name: 'yellow 2023–2024 (with airport_fee)',
    taxiKind: 'yellow',
    contractVersion: 1,
    required: [...yellow, 'congestion_surcharge', 'airport_fee'],
    optional: [],
  },
  {
    name: 'yellow 2019–2022',
    taxiKind: 'yellow',
    contractVersion: 1,
    required: yellow,
    optional: ['congestion_surcharge'],
  },
  {
    name: 'green 2025+ (with cbd_congestion_fee)',
    taxiKind: 'green',
    contractVersion: 2,
    required: [...green, 'congestion_surcharge', 'cbd_congestion_fee'],
    optional: [],
  },
  {
    name: 'green 2019–2024',
    taxiKind: 'green',
    contractVersion: 1,
    required: green,
    optional: ['congestion_surcharge'],
  },
];

/** The layout the columns match, or an import_layout error listing what is missing and unexpected. */
export function detectLayout(columns: string[], file: string): Layout {
  const have = new Set(columns.map((c) => c.trim().toLowerCase()));
  const scored = layouts.map((l) => {
    const missing = l.required.filter((c) => !have.has(c));
    const known = new Set([...l.required, ...l.optional]);
    const unexpected = [...have].filter((c) => !known.has(c));
    return { l, missing, unexpected };
  });
  const exact = scored.find((s) => s.missing.length === 0 && s.unexpected.length === 0);
  if (exact !== undefined) return exact.l;
  const best = [...scored].sort(
    (a, b) => a.missing.length + a.unexpected.length - (b.missing.length + b.unexpected.length),
  )[0];
  if (best === undefined) throw new FareboxError('internal', 'no layouts');
  const parts = [
    best.missing.length > 0 ? `missing ${best.missing.join(', ')}` : undefined,
    best.unexpected.length > 0 ? `unexpected ${best.unexpected.join(', ')}` : undefined,
  ].filter((p) => p !== undefined);
  throw new FareboxError(
    'import_layout',
    `${file} matches no known TLC layout; closest is ${best.l.name}: ${parts.join('; ')}`,
    {
      where: file,
      hint: `known layouts: ${layouts.map((l) => l.name).join(' | ')}`,
    },
  );
}
