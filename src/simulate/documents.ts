/** Generated driver-document images: real PNGs of noise, 100 KB to 5 MB (noise does not compress). */
import { PNG } from 'pngjs';
import type { Random } from './random.ts';

export function documentImage(rng: Random): { bytes: Buffer; contentType: string } {
  const targetBytes = rng.int(100_000, 5_000_000);
  const side = Math.ceil(Math.sqrt(targetBytes / 3));
  const png = new PNG({ width: side, height: side, colorType: 2, inputColorType: 2, inputHasAlpha: false });
  const data = Buffer.allocUnsafe(side * side * 3);
  for (let i = 0; i < data.length; i += 4)
    data.writeUInt32LE(Math.floor(rng.next() * 0xffffffff), Math.min(i, data.length - 4));
  png.data = data;
  return {
    bytes: PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false }),
    contentType: 'image/png',
  };
}
