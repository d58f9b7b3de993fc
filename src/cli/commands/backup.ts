// gantry backup create|list|verify|restore: backups of Gantry's own data. `create` and `list` go
// through the server (admin); `verify` and `restore` work offline on a backup file, the server
// stopped for a restore. Progress goes to stderr, results to stdout (--json: one JSON document).
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import type { CreatedBackupView } from '../../api/backup-routes.ts';
import type { RestoredBackup, VerifyReport } from '../../backup/index.ts';
import { type ClientOptions, commandGroup } from '../command-group.ts';
import type { CliContext } from '../context.ts';
import { UsageError } from '../errors.ts';
import { formatBytes, formatDateTime, formatTable } from '../format.ts';
import { dataDirFrom, writeJson } from '../io.ts';
import { addExamples, addJsonOption } from '../options.ts';
import { StepProgress } from '../step-progress.ts';

interface CreateOptions extends ClientOptions {
  out?: string;
  withArtifacts?: boolean;
}

interface RestoreOptions {
  dataDir?: string;
  store?: string;
  force?: boolean;
}

export function registerBackup(program: Command, ctx: CliContext): Command {
  const group = program
    .command('backup')
    .description(
      "back up Gantry's own data (releases, audit log, secrets' ciphertext, logs), verify and restore it",
    );
  addExamples(group, [
    'gantry backup create --out gantry.tar',
    'gantry backup verify gantry.tar',
    'gantry backup restore gantry.tar --data-dir /var/lib/gantry-new',
  ]);
  const { run, client, print, sub } = commandGroup(ctx, group);

  sub('create', 'take a backup on the running server, consistent while it works (admin)', [
    'gantry backup create',
    'gantry backup create --out backups/gantry-$(date +%F).tar',
    'gantry backup create --with-artifacts --out full.tar',
  ])
    .option('--out <file>', 'also download the backup to this file (the server keeps its copy)')
    .option('--with-artifacts', 'include the artifact directories of uploaded versions')
    .action((o: CreateOptions, command: Command) =>
      run(command, async (json) => {
        const api = await client(o);
        const progress = new StepProgress(ctx.io.stderr, 'backing up');
        let created: CreatedBackupView;
        try {
          created = await api.createBackup({ withArtifacts: Boolean(o.withArtifacts) }, (line) => {
            if ('progress' in line) progress.step(line.progress.step, line.progress.rows);
          });
        } finally {
          progress.stop();
        }
        let saved: string | undefined;
        if (o.out) {
          const download = new StepProgress(ctx.io.stderr, 'downloading');
          try {
            saved = await downloadTo(o.out, created, await api.downloadBackup(created.name), (n) =>
              download.step(created.name, n, created.bytes),
            );
          } finally {
            download.stop();
          }
        }
        if (json) writeJson(ctx.io.stdout, { ...created, ...(saved ? { out: saved } : {}) });
        else {
          const rows = Object.values(created.rows).reduce((a, b) => a + b, 0);
          print([
            `backup ${created.name}: ${formatBytes(created.bytes)}, ${rows} rows, schema ${created.migration}${created.artifactVersions ? `, ${created.artifactVersions} artifact dirs` : ''}`,
            `  on the server: ${created.file}`,
            ...(saved ? [`  saved to: ${saved} (sha256 ${created.sha256})`] : []),
            '  keep the master key (<data-dir>/master.key or GANTRY_MASTER_KEY) apart from it: secrets need it',
          ]);
        }
      }),
    );

  sub('list', 'list the backups the server holds, newest first (admin)', ['gantry backup list --json'], {
    isDefault: true,
  }).action((o: ClientOptions, command: Command) =>
    run(command, async (json) => {
      const body = await (await client(o)).listBackups();
      if (json) writeJson(ctx.io.stdout, body);
      else if (body.backups.length === 0)
        print([`no backups in ${body.dir} yet: take one with gantry backup create`]);
      else
        print([
          `in ${body.dir}:`,
          ...formatTable(
            ['NAME', 'TAKEN', 'SIZE'],
            body.backups.map((b) => [b.name, formatDateTime(b.createdAt), formatBytes(b.bytes)]),
          ),
        ]);
    }),
  );

  const verify = group
    .command('verify <file>')
    .description(
      'check a backup offline: checksums, a full restore into a scratch store, row counts, audit chain',
    )
    .action((file: string, _o: unknown, command: Command) =>
      run(command, async (json) => {
        const backups = ctx.deps.backups;
        if (!backups) throw new UsageError('this build of gantry cannot verify backups');
        const progress = new StepProgress(ctx.io.stderr, 'verifying');
        let report: VerifyReport;
        try {
          report = await backups.verify(file, (p) => progress.step(p.table, p.rows));
        } finally {
          progress.stop();
        }
        if (json) writeJson(ctx.io.stdout, summary(report));
        else print(describeVerified(file, report));
      }),
    );
  addExamples(
    addJsonOption(verify),
    ['gantry backup verify gantry.tar', 'gantry backup verify gantry.tar --json'],
    false,
  );

  const restore = group
    .command('restore <file>')
    .description(
      "restore a backup into an empty store (stop the server first): the data dir's SQLite file, or a PostgreSQL database with --store",
    )
    .option(
      '--data-dir <dir>',
      'the data dir to restore into (its gantry.db; artifacts/ of --with-artifacts backups)',
    )
    .option(
      '--store <url>',
      "restore into this PostgreSQL database (postgresql://…) instead of the data dir's SQLite file",
    )
    .option('--force', 'replace the store even if it holds data')
    .action((file: string, o: RestoreOptions, command: Command) =>
      run(command, async (json) => {
        const backups = ctx.deps.backups;
        if (!backups) throw new UsageError('this build of gantry cannot restore backups');
        if (!o.dataDir && !o.store)
          throw new UsageError(
            'say where to restore: --data-dir DIR (SQLite) or --store postgresql://… (PostgreSQL)',
            'e.g. gantry backup restore FILE --data-dir .gantry-restored',
          );
        if (o.store !== undefined && !/^postgres(ql)?:\/\/./.test(o.store))
          throw new UsageError(
            '--store takes a postgresql:// URL',
            'For SQLite, give the data dir with --data-dir.',
          );
        const dataDir = o.dataDir ?? dataDirFrom(ctx.io.env);
        const progress = new StepProgress(ctx.io.stderr, 'restoring');
        let report: RestoredBackup;
        try {
          report = await backups.restore({
            file,
            dataDir,
            ...(o.store !== undefined ? { store: o.store } : {}),
            force: Boolean(o.force),
            onProgress: (p) => progress.step(p.table, p.rows),
          });
        } finally {
          progress.stop();
        }
        if (json)
          writeJson(ctx.io.stdout, { ...summary(report), store: report.store, masterKey: report.masterKey });
        else print(describeRestored(report, dataDir, o.store !== undefined));
      }),
    );
  addExamples(
    addJsonOption(restore),
    [
      'gantry backup restore gantry.tar --data-dir /var/lib/gantry',
      'gantry backup restore gantry.tar --data-dir .gantry --force',
    ],
    false,
  );
  return group;
}

async function downloadTo(
  out: string,
  created: CreatedBackupView,
  download: { body: AsyncIterable<Uint8Array> },
  onBytes: (n: number) => void,
): Promise<string> {
  const partial = `${out}.partial`;
  await mkdir(path.dirname(path.resolve(out)), { recursive: true });
  const hash = createHash('sha256');
  let n = 0;
  try {
    await pipeline(
      download.body,
      async function* (source: AsyncIterable<Uint8Array>) {
        for await (const chunk of source) {
          hash.update(chunk);
          n += chunk.length;
          onBytes(n);
          yield chunk;
        }
      },
      createWriteStream(partial, { mode: 0o600 }) as Writable,
    );
    const sha256 = hash.digest('hex');
    if (sha256 !== created.sha256)
      throw new UsageError(
        `the downloaded backup's checksum (${sha256.slice(0, 12)}…) differs from the server's (${created.sha256.slice(0, 12)}…)`,
        `Download it again; the server's copy is ${created.file}.`,
      );
    await rename(partial, out);
    return path.resolve(out);
  } finally {
    await rm(partial, { force: true });
  }
}

function summary(r: VerifyReport | RestoredBackup) {
  return {
    file: r.file,
    createdAt: r.manifest.createdAt,
    gantryVersion: r.manifest.gantryVersion,
    migration: r.manifest.migration,
    migrated: r.migrated,
    rows: r.rows,
    audit: r.audit,
    masterKeyIds: r.manifest.masterKeyIds,
  };
}

function describeVerified(file: string, r: VerifyReport): string[] {
  const rows = Object.values(r.rows).reduce((a, b) => a + b, 0);
  return [
    `backup ${file} is good: taken ${formatDateTime(r.manifest.createdAt)} by Gantry ${r.manifest.gantryVersion}, schema ${r.manifest.migration}`,
    `  ${rows} rows in ${Object.keys(r.rows).length} tables restored and counted (releases ${r.rows.releases ?? 0}, log lines ${r.rows.log_lines ?? 0})`,
    `  audit log intact: ${r.audit.checked} entries`,
    ...(r.manifest.masterKeyIds.length > 0
      ? [`  secrets need master key ${r.manifest.masterKeyIds.join(', ')} (not in the backup)`]
      : []),
  ];
}

function describeRestored(r: RestoredBackup, dataDir: string, postgres: boolean): string[] {
  const rows = Object.values(r.rows).reduce((a, b) => a + b, 0);
  return [
    `restored ${r.file} into ${r.store}: ${rows} rows, audit log intact (${r.audit.checked} entries)${r.migrated.length ? `, schema brought up to date (${r.migrated.join(', ')})` : ''}`,
    ...(r.artifactVersions
      ? [`  ${r.artifactVersions} artifact dirs unpacked under ${dataDir}/artifacts`]
      : []),
    ...(r.masterKey === 'missing'
      ? [
          `  next: copy the master key file (master key ${r.manifest.masterKeyIds.join(', ')}) to ${dataDir}/master.key (mode 600), or set GANTRY_MASTER_KEY, before starting the server`,
        ]
      : []),
    `  start it: gantry server --config gantry.yaml --data-dir ${dataDir}${postgres ? ` --store ${r.store}` : ''}`,
  ];
}
