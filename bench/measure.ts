/** Measurement helpers shared by the benchmarks: rates, interleaved best-of-two rounds, figures. */

/** Whole numbers from 100 up, one decimal below (a verify rate of 24.5/s should not print as 25). */
export const fmt = (n: number) => (n >= 100 ? n.toFixed(0) : n.toFixed(1));
/** Two decimals; three below 0.1 so a tiny ratio does not print as 0.00. */
export const ratio = (x: number) => x.toFixed(x < 0.1 ? 3 : 2);

/** Runs `op` with `inFlight` concurrent loops for `seconds`; returns operations per second. */
export async function rate(seconds: number, inFlight: number, op: () => unknown): Promise<number> {
  const end = performance.now() + seconds * 1000;
  const start = performance.now();
  let count = 0;
  if (inFlight === 1) {
    // Sync loop when the op is synchronous; otherwise await each.
    while (performance.now() < end) {
      const r = op();
      if (r instanceof Promise) await r;
      count++;
    }
  } else {
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (performance.now() < end) {
          await op();
          count++;
        }
      }),
    );
  }
  return count / ((performance.now() - start) / 1000);
}

/** a, b, a, b (… for more entries): each measurement twice, interleaved; best of each. */
export async function bestOf2<K extends string>(label: string, ms: Record<K, () => Promise<number>>): Promise<Record<K, number>> {
  const best = {} as Record<K, number>;
  for (let r = 1; r <= 2; r++) {
    const parts: string[] = [];
    for (const k of Object.keys(ms) as K[]) {
      const v = await ms[k]();
      best[k] = Math.max(best[k] ?? 0, v);
      parts.push(`${k} ${fmt(v)}/s`);
    }
    console.log(`  ${label.padEnd(10)} round ${r}: ${parts.join('   ')}`);
  }
  return best;
}
