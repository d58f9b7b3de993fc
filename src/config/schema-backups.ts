// Scheduled backups of Gantry's own data: `backups:`. Each backup is verified after it is written;
// a failed backup or verification fires the alarm backup_failures.
import { DEFAULT_BACKUP_EVERY, DEFAULT_BACKUP_KEEP } from './defaults.ts';
import { bool, duration, identifier, list, mapping, text } from './fields.ts';
import type { BackupsConfig } from './types.ts';
import { formatDuration } from './units.ts';

export const backupsSchema = mapping({
  every: duration()
    .prefault(formatDuration(DEFAULT_BACKUP_EVERY))
    .meta({ description: 'How often a backup is taken: the most data a restore can lose (RPO).' }),
  keep: duration()
    .prefault(formatDuration(DEFAULT_BACKUP_KEEP))
    .meta({ description: 'Backups older than this are deleted (the newest one is always kept).' }),
  dir: text('a directory').optional().meta({
    description: 'Where backups are written (relative to gantry.yaml); default <data-dir>/backups.',
  }),
  with_artifacts: bool().default(false).meta({
    description: 'Include the artifact directories of uploaded versions (images live in their registry).',
  }),
  notify: list(identifier('a notify group name')).default([]).meta({
    description: 'Groups from `notify:` told when the alarm backup_failures fires and resolves.',
  }),
})
  .transform(
    (b): BackupsConfig => ({
      every: b.every,
      keep: b.keep,
      with_artifacts: b.with_artifacts,
      notify: b.notify,
      ...(b.dir !== undefined ? { dir: b.dir } : {}),
    }),
  )
  .meta({ description: "Scheduled, verified backups of Gantry's own data (docs/backups.md)." });
