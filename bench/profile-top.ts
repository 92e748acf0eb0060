/**
 * Reads a V8 .cpuprofile (from `node --cpu-prof`) and prints the functions with the most self
 * time, plus self time grouped by package. Usage: tsx bench/profile-top.ts <file.cpuprofile> [n]
 */
import { readFile } from 'node:fs/promises';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/** Pure: self time per node id, in µs, from the sample stream. */
export function selfTimes(profile: Profile): Map<number, number> {
  const out = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    const id = samples[i] as number;
    // The delta before sample i+1 is the time spent in sample i.
    const dt = deltas[i + 1] ?? 0;
    out.set(id, (out.get(id) ?? 0) + dt);
  }
  return out;
}

const where = (url: string) => {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1] as string;
  if (url.startsWith('node:')) return url;
  if (url === '') return '(native/vm)';
  const s = /\/(src|connectors|bench)\/.*/.exec(url);
  return s ? s[0].slice(1) : url;
};

const file = process.argv[2];
if (!file) {
  console.error('usage: tsx bench/profile-top.ts <file.cpuprofile> [top n]');
  process.exit(2);
}
const top = Number(process.argv[3] ?? 25);
const profile = JSON.parse(await readFile(file, 'utf8')) as Profile;
const self = selfTimes(profile);
const total = [...self.values()].reduce((a, b) => a + b, 0);
const byFunction = new Map<string, number>();
const byPackage = new Map<string, number>();
for (const node of profile.nodes) {
  const t = self.get(node.id) ?? 0;
  if (!t) continue;
  const f = node.callFrame;
  const key = `${f.functionName || '(anonymous)'}  ${where(f.url)}:${f.lineNumber + 1}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + t);
  const pkg = where(f.url).split('/').slice(0, f.url.includes('node_modules') ? 1 : 2).join('/');
  byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + t);
}
const pct = (t: number) => `${((100 * t) / total).toFixed(1).padStart(5)}%`;
console.log(`total sampled: ${(total / 1e6).toFixed(2)} s\n\ntop ${top} functions by self time:`);
for (const [k, t] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(t)}  ${k}`);
console.log('\nself time by package/folder:');
for (const [k, t] of [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`${pct(t)}  ${k}`);
