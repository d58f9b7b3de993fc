// GET /metrics of a server with several services: every service's exposition (each answered by
// its own API instance, authorised as the scrape itself) merged into one, with a `service` label on
// each series. The families of the process itself (process_*, gantry_build_info, the backups of the
// store) are the same in every service's answer and appear once, without the label.
import { escapeLabelValue } from '../metrics/prometheus.ts';

const PROCESS_WIDE = /^(process_|gantry_build|gantry_backup_)/;
const META = /^# (?:HELP|TYPE|UNIT) (\S+)/;
const SAMPLE_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;

interface Block {
  name: string;
  meta: string[];
  samples: string[];
}

/** One exposition (Prometheus text or OpenMetrics) from several, in the first one's family order. */
export function mergeExpositions(parts: Array<{ service: string; text: string }>): string {
  const merged = new Map<string, Block>();
  let openMetrics = false;
  for (const { service, text } of parts) {
    const seen = new Set<string>();
    for (const block of blocksOf(text)) {
      openMetrics ||= block.name === '# EOF';
      if (block.name === '# EOF') continue;
      let into = merged.get(block.name);
      if (!into) {
        into = { name: block.name, meta: block.meta, samples: [] };
        merged.set(block.name, into);
      }
      if (PROCESS_WIDE.test(block.name)) {
        if (into.samples.length === 0 && !seen.has(block.name)) into.samples.push(...block.samples);
      } else {
        into.samples.push(...block.samples.map((s) => withServiceLabel(s, service)));
      }
      seen.add(block.name);
    }
  }
  const lines = [...merged.values()].flatMap((b) => [...b.meta, ...b.samples]);
  if (openMetrics) lines.push('# EOF');
  return `${lines.join('\n')}\n`;
}

function blocksOf(text: string): Block[] {
  const blocks: Block[] = [];
  let current: Block | undefined;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line === '# EOF') {
      blocks.push({ name: line, meta: [], samples: [] });
      continue;
    }
    const meta = META.exec(line);
    if (meta) {
      if (current?.name !== meta[1]) {
        current = { name: meta[1] as string, meta: [], samples: [] };
        blocks.push(current);
      }
      current?.meta.push(line);
    } else if (current) {
      current.samples.push(line);
    }
  }
  return blocks;
}

function withServiceLabel(sample: string, service: string): string {
  const name = SAMPLE_NAME.exec(sample)?.[0] ?? '';
  const label = `service="${escapeLabelValue(service)}"`;
  const rest = sample.slice(name.length);
  if (!rest.startsWith('{')) return `${name}{${label}}${rest}`;
  return `${name}{${label}${rest.startsWith('{}') ? '' : ','}${rest.slice(1)}`;
}
