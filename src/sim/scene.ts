/**
 * Procedural scenes: the linear radiance that reaches the lens, as three planes (R, G, B).
 * Units are relative to the sensor's full scale: a value of 1 in the green plane just saturates
 * a green photosite of unit sensitivity before vignetting and PRNU.
 *
 * Natural scenes are layered like photographs: a lit, textured background (a gradient times a
 * fractal value-noise texture), opaque shapes with hard edges and their own fills (texture,
 * stripes near and far from the Nyquist limit, checkers, gradients), shadows, an exposure set
 * by a mid-grey key that varies from shot to shot, then specular highlights that clip.
 * Flat-fields are a smooth, bright, nearly uniform field (a lit wall or an overcast sky).
 */
import type { RgbPlanes } from './cfa.js';
import type { Rng } from './prng.js';

/** Luma weights used for exposure metering. */
const METER: [number, number, number] = [0.25, 0.5, 0.25];

/**
 * Fractal value noise: the sum of `octaves` layers of smoothly interpolated random lattices, the
 * cell halving and the amplitude multiplied by `persistence` at each octave.
 * @param cell lattice spacing of the first octave in pixels (≥ 2)
 * @returns width·height values in [0, 1], mean about 0.5
 */
export function valueNoise(
  rng: Rng,
  width: number,
  height: number,
  cell: number,
  octaves: number,
  persistence: number,
): Float32Array {
  const out = new Float32Array(width * height);
  let amp = 1;
  let ampSum = 0;
  const ix = new Int32Array(width);
  const fx = new Float32Array(width);
  for (let o = 0; o < octaves; o++) {
    const c = Math.max(2, cell / 2 ** o);
    const gw = Math.ceil(width / c) + 2;
    const gh = Math.ceil(height / c) + 2;
    const lattice = new Float32Array(gw * gh);
    for (let i = 0; i < lattice.length; i++) lattice[i] = 2 * rng.next() - 1;
    const ox = rng.uniform(0, c);
    const oy = rng.uniform(0, c);
    for (let x = 0; x < width; x++) {
      const u = (x + ox) / c;
      const i0 = Math.floor(u);
      const t = u - i0;
      ix[x] = i0;
      fx[x] = t * t * (3 - 2 * t);
    }
    const line = new Float32Array(gw);
    for (let y = 0; y < height; y++) {
      const v = (y + oy) / c;
      const j0 = Math.floor(v);
      let t = v - j0;
      t = t * t * (3 - 2 * t);
      const r0 = j0 * gw;
      const r1 = r0 + gw;
      // the lattice row interpolated at this y (and scaled by the octave's amplitude)
      for (let k = 0; k < gw; k++)
        line[k] = amp * (lattice[r0 + k] + t * (lattice[r1 + k] - lattice[r0 + k]));
      const row = y * width;
      for (let x = 0; x < width; x++) {
        const k = ix[x];
        const a = line[k];
        out[row + x] += a + fx[x] * (line[k + 1] - a);
      }
    }
    ampSum += amp;
    amp *= persistence;
  }
  const scale = 0.5 / ampSum;
  for (let i = 0; i < out.length; i++) out[i] = 0.5 + scale * out[i];
  return out;
}

/** A random surface colour: linear reflectance per channel, overall 0.03–0.95, saturation random. */
function randomColour(rng: Rng): [number, number, number] {
  const refl = rng.logUniform(0.03, 0.95);
  const sat = Math.pow(rng.next(), 1.5);
  const w = [rng.next() + 0.05, rng.next() + 0.05, rng.next() + 0.05];
  const sum = w[0] + w[1] + w[2];
  return [0, 1, 2].map((c) => refl * (1 - sat + (sat * 3 * w[c]) / sum)) as [number, number, number];
}

const FILL_FLAT = 0;
const FILL_STRIPES = 1;
const FILL_SQUARE_STRIPES = 2;
const FILL_CHECKER = 3;
const FILL_GRADIENT = 4;

/** 0.5 + 0.5·sin(2πk/N), for sine stripes without a sine per pixel. */
const SINE_STEPS = 4096;
const SINE = Float32Array.from(
  { length: SINE_STEPS },
  (_, k) => 0.5 + 0.5 * Math.sin((2 * Math.PI * k) / SINE_STEPS),
);

/**
 * A convex shape: an ellipse (centre, half-axes a ≥ b, orientation) or a convex polygon. Every
 * shape is filled by horizontal spans: the pixel centres (x, y) inside it, for each row y.
 */
interface Shape {
  cx: number;
  cy: number;
  /** Half-axes (ellipse), or the polygon's half-size along its orientation (for fill gradients). */
  a: number;
  b: number;
  cos: number;
  sin: number;
  /** Polygon vertices x0, y0, x1, y1, … in order; empty for an ellipse. */
  poly: number[];
}

/** Corners of a rectangle with half-sizes a, b centred at (cx, cy), rotated by (cos, sin). */
function rectangle(cx: number, cy: number, a: number, b: number, cos: number, sin: number): number[] {
  const out: number[] = [];
  for (const [u, v] of [
    [-a, -b],
    [a, -b],
    [a, b],
    [-a, b],
  ]) {
    out.push(cx + u * cos - v * sin, cy + u * sin + v * cos);
  }
  return out;
}

/**
 * A random shape. Objects are rectangles (some axis-aligned), ellipses and triangles of all sizes;
 * large regions (`big`) are ellipses, rectangles or half-planes (a horizon, a wall's edge).
 */
function randomShape(rng: Rng, width: number, height: number, big: boolean): Shape {
  const minDim = Math.min(width, height);
  const angle = rng.uniform(0, Math.PI);
  const s: Shape = {
    cx: rng.uniform(-0.1, 1.1) * width,
    cy: rng.uniform(-0.1, 1.1) * height,
    a: rng.logUniform(0.02, big ? 0.8 : 0.35) * minDim + 3,
    b: 0,
    cos: Math.cos(angle),
    sin: Math.sin(angle),
    poly: [],
  };
  s.b = s.a * rng.logUniform(0.15, 1);
  const kind = rng.int(3);
  if (big) {
    if (kind === 1) s.poly = rectangle(s.cx, s.cy, s.a, s.b, s.cos, s.sin);
    if (kind === 2) {
      // half-plane on one side of a line through the centre: a huge rectangle beside it
      const far = 4 * (width + height);
      s.poly = rectangle(s.cx - far * s.sin, s.cy + far * s.cos, far, far, s.cos, s.sin);
    }
  } else if (kind === 0) {
    if (rng.chance(0.4)) {
      // axis-aligned, as in man-made scenes
      s.cos = 1;
      s.sin = 0;
    }
    s.poly = rectangle(s.cx, s.cy, s.a, s.b, s.cos, s.sin);
  } else if (kind === 2) {
    const angles = [
      rng.uniform(0, 2 * Math.PI),
      rng.uniform(0, 2 * Math.PI),
      rng.uniform(0, 2 * Math.PI),
    ].sort((p, q) => p - q);
    for (const t of angles) {
      const r = s.a * rng.uniform(0.4, 1.2);
      s.poly.push(s.cx + r * Math.cos(t), s.cy + r * Math.sin(t));
    }
  }
  return s;
}

/** Vertical extent of a shape: [ymin, ymax] in continuous coordinates. */
function yExtent(s: Shape): [number, number] {
  if (s.poly.length === 0) {
    const ey = Math.sqrt((s.a * s.sin) ** 2 + (s.b * s.cos) ** 2);
    return [s.cy - ey, s.cy + ey];
  }
  let lo = Infinity;
  let hi = -Infinity;
  for (let k = 1; k < s.poly.length; k += 2) {
    lo = Math.min(lo, s.poly[k]);
    hi = Math.max(hi, s.poly[k]);
  }
  return [lo, hi];
}

/**
 * The shape's span on row y: [x0, x1] in continuous coordinates, or null when the row misses it.
 * Ellipse: the roots of A·dx² + B·dx + C = 0 from (u/a)² + (v/b)² = 1. Polygon: the extreme
 * crossings of its edges with the row (it is convex).
 */
function span(s: Shape, y: number): [number, number] | null {
  const dy = y - s.cy;
  if (s.poly.length === 0) {
    const ia = 1 / (s.a * s.a);
    const ib = 1 / (s.b * s.b);
    const A = s.cos * s.cos * ia + s.sin * s.sin * ib;
    const B = 2 * dy * s.cos * s.sin * (ia - ib);
    const C = dy * dy * (s.sin * s.sin * ia + s.cos * s.cos * ib) - 1;
    const disc = B * B - 4 * A * C;
    if (disc < 0) return null;
    const root = Math.sqrt(disc);
    return [s.cx + (-B - root) / (2 * A), s.cx + (-B + root) / (2 * A)];
  }
  let lo = Infinity;
  let hi = -Infinity;
  const p = s.poly;
  const n = p.length;
  for (let k = 0; k < n; k += 2) {
    const x1 = p[k];
    const y1 = p[k + 1];
    const x2 = p[(k + 2) % n];
    const y2 = p[(k + 3) % n];
    if ((y < y1 && y < y2) || (y > y1 && y > y2)) continue;
    if (y1 === y2) {
      lo = Math.min(lo, x1, x2);
      hi = Math.max(hi, x1, x2);
    } else {
      const x = x1 + ((y - y1) * (x2 - x1)) / (y2 - y1);
      lo = Math.min(lo, x);
      hi = Math.max(hi, x);
    }
  }
  return lo <= hi ? [lo, hi] : null;
}

/**
 * Calls `row(y, x0, x1)` for each image row the shape covers, with the inclusive range of pixel
 * columns whose centres lie inside it.
 */
function rasterize(
  s: Shape,
  width: number,
  height: number,
  row: (y: number, x0: number, x1: number) => void,
): void {
  const [ylo, yhi] = yExtent(s);
  const y0 = Math.max(0, Math.ceil(ylo));
  const y1 = Math.min(height - 1, Math.floor(yhi));
  for (let y = y0; y <= y1; y++) {
    const sp = span(s, y);
    if (sp === null) continue;
    const x0 = Math.max(0, Math.ceil(sp[0]));
    const x1 = Math.min(width - 1, Math.floor(sp[1]));
    if (x0 <= x1) row(y, x0, x1);
  }
}

/**
 * Paints one opaque shape with a fill: colour = lerp(c1, c2, m(x, y)) · (1 + k·(2T − 1)), where
 * m ∈ [0, 1] is the fill pattern (flat, sine or square stripes of period 2.5–60 px, checkers, a
 * gradient) and T one of the texture fields.
 */
function paintShape(
  rng: Rng,
  planes: RgbPlanes,
  width: number,
  height: number,
  s: Shape,
  textures: Float32Array[],
): void {
  const c1 = randomColour(rng);
  const c2 = rng.chance(0.5) ? randomColour(rng) : c1.map((v) => v * rng.uniform(0.2, 0.6));
  const fill = rng.pick([
    FILL_FLAT,
    FILL_FLAT,
    FILL_STRIPES,
    FILL_SQUARE_STRIPES,
    FILL_CHECKER,
    FILL_GRADIENT,
  ]);
  const tex = rng.pick(textures);
  const k = rng.uniform(0, 0.8);
  const period = rng.logUniform(2.5, 60);
  const pa = rng.uniform(0, Math.PI);
  const pc = Math.cos(pa) / period;
  const ps = Math.sin(pa) / period;
  const phase = rng.next();
  const gradLen = 2 * Math.max(s.a, 4);
  const [r, g, b] = planes;
  const [r1, g1, b1] = c1;
  const dr = c2[0] - r1;
  const dg = c2[1] - g1;
  const db = c2[2] - b1;
  const m = new Float32Array(width);
  rasterize(s, width, height, (y, x0, x1) => {
    switch (fill) {
      case FILL_STRIPES:
        for (let x = x0; x <= x1; x++) {
          const t = x * pc + y * ps + phase;
          m[x] = SINE[((t - Math.floor(t)) * SINE_STEPS) | 0];
        }
        break;
      case FILL_SQUARE_STRIPES:
        for (let x = x0; x <= x1; x++) m[x] = Math.floor(x * pc + y * ps + phase) & 1;
        break;
      case FILL_CHECKER: {
        const fy = Math.floor(y / period);
        for (let x = x0; x <= x1; x++) m[x] = (Math.floor(x / period + phase) + fy) & 1;
        break;
      }
      case FILL_GRADIENT:
        for (let x = x0; x <= x1; x++) {
          const t = 0.5 + ((x - s.cx) * s.cos + (y - s.cy) * s.sin) / gradLen;
          m[x] = t > 0 ? (t < 1 ? t : 1) : 0;
        }
        break;
      default:
        m.fill(0, x0, x1 + 1);
    }
    const row = y * width;
    for (let x = x0; x <= x1; x++) {
      const i = row + x;
      const t = 1 + k * (2 * tex[i] - 1);
      const mx = m[x];
      r[i] = (r1 + mx * dr) * t;
      g[i] = (g1 + mx * dg) * t;
      b[i] = (b1 + mx * db) * t;
    }
  });
}

/** Sets the radiance inside a shape to `rgb`, or multiplies it by `rgb` when `multiply` is true. */
function fillShape(
  planes: RgbPlanes,
  width: number,
  height: number,
  s: Shape,
  rgb: number[],
  multiply: boolean,
): void {
  const [r, g, b] = planes;
  const [fr, fg, fb] = rgb;
  rasterize(s, width, height, (y, x0, x1) => {
    for (let i = y * width + x0, end = y * width + x1; i <= end; i++) {
      if (multiply) {
        r[i] *= fr;
        g[i] *= fg;
        b[i] *= fb;
      } else {
        r[i] = fr;
        g[i] = fg;
        b[i] = fb;
      }
    }
  });
}

/**
 * A natural-looking scene, exposed: mean metered radiance = a key of 0.18·2^U(−1.5, 1) of full
 * scale, with a few highlights of 1.5–8× full scale (they clip in the sensor).
 * @returns linear R, G, B planes, each width·height, relative to full scale
 */
export function naturalScene(rng: Rng, width: number, height: number): RgbPlanes {
  const n = width * height;
  const planes: RgbPlanes = [new Float32Array(n), new Float32Array(n), new Float32Array(n)];
  const minDim = Math.min(width, height);
  // textures: coarse (terrain, foliage, clouds), fine (fabric, bark) and grain (gravel, sand)
  const coarse = valueNoise(rng, width, height, rng.uniform(0.15, 0.6) * minDim, 5, rng.uniform(0.45, 0.7));
  const fine = valueNoise(rng, width, height, rng.uniform(6, 24), 2, rng.uniform(0.4, 0.7));
  const grain = valueNoise(rng, width, height, rng.uniform(2, 3.5), 2, 0.6);
  const textures = [coarse, fine, grain];

  // background: a gradient between two colours, modulated by the coarse texture
  const top = randomColour(rng);
  const bottom = randomColour(rng);
  const ga = rng.uniform(0, 2 * Math.PI);
  const gc = Math.cos(ga);
  const gs = Math.sin(ga);
  const span = Math.abs(gc) * width + Math.abs(gs) * height;
  const off = Math.min(0, gc * width) + Math.min(0, gs * height);
  const k = rng.uniform(0.3, 0.9);
  const [pr, pg, pb] = planes;
  const [t0, t1, t2] = top;
  const d0 = bottom[0] - t0;
  const d1 = bottom[1] - t1;
  const d2 = bottom[2] - t2;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const u = (x * gc + y * gs - off) / span;
      const tx = 1 + k * (2 * coarse[i] - 1);
      const t = tx > 0.05 ? tx : 0.05;
      pr[i] = (t0 + u * d0) * t;
      pg[i] = (t1 + u * d1) * t;
      pb[i] = (t2 + u * d2) * t;
    }
  }

  // a few large regions (ground, walls), then many objects of all sizes
  const big = rng.int(3);
  for (let s = 0; s < big; s++)
    paintShape(rng, planes, width, height, randomShape(rng, width, height, true), textures);
  const objects = 6 + rng.int(22);
  for (let s = 0; s < objects; s++) {
    paintShape(rng, planes, width, height, randomShape(rng, width, height, false), textures);
  }
  // shadows: large dark regions
  const shadows = rng.int(3);
  for (let s = 0; s < shadows; s++) {
    const f = rng.uniform(0.02, 0.2);
    fillShape(planes, width, height, randomShape(rng, width, height, true), [f, f, f], true);
  }

  // the illuminant's colour, then exposure to the key
  const illuminant = [rng.uniform(0.85, 1.15), 1, rng.uniform(0.85, 1.15)];
  let metered = 0;
  const w0 = METER[0] * illuminant[0];
  const w1 = METER[1];
  const w2 = METER[2] * illuminant[2];
  for (let i = 0; i < n; i++) metered += w0 * pr[i] + w1 * pg[i] + w2 * pb[i];
  metered /= n;
  const key = 0.18 * 2 ** rng.uniform(-1.5, 1);
  const exposure = key / Math.max(metered, 1e-6);
  for (let c = 0; c < 3; c++) {
    const f = exposure * illuminant[c];
    const p = planes[c];
    for (let i = 0; i < n; i++) p[i] *= f;
  }

  // specular highlights and light sources: they saturate
  const highlights = rng.int(5);
  for (let h = 0; h < highlights; h++) {
    const s = randomShape(rng, width, height, false);
    s.a = rng.logUniform(1.5, 0.04 * minDim + 2);
    s.b = s.a * rng.uniform(0.3, 1);
    s.poly = rng.chance(0.7) ? [] : rectangle(s.cx, s.cy, s.a, s.b, s.cos, s.sin);
    const peak = rng.uniform(1.5, 8);
    fillShape(planes, width, height, s, [peak * illuminant[0], peak, peak * illuminant[2]], false);
  }
  return planes;
}

/**
 * A flat-field: a uniform grey field at `level` of full scale, with a faint tint (±2 %) and a
 * faint linear illumination gradient (±3 % across the frame). Vignetting is the lens's, added by
 * the sensor model.
 * @param level mean radiance relative to full scale (for example 0.3–0.6)
 * @returns linear R, G, B planes, each width·height
 */
export function flatScene(rng: Rng, width: number, height: number, level: number): RgbPlanes {
  const n = width * height;
  const planes: RgbPlanes = [new Float32Array(n), new Float32Array(n), new Float32Array(n)];
  const tint = [rng.uniform(0.98, 1.02), 1, rng.uniform(0.98, 1.02)];
  const gx = rng.uniform(-0.03, 0.03);
  const gy = rng.uniform(-0.03, 0.03);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const v = level * (1 + gx * ((2 * x) / width - 1) + gy * ((2 * y) / height - 1));
      planes[0][i] = v * tint[0];
      planes[1][i] = v;
      planes[2][i] = v * tint[2];
    }
  }
  return planes;
}
