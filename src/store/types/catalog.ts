// Services, their environments and their immutable versions (with the commit times CI reports).

export interface ServiceRecord {
  name: string;
  createdAt: string; // ISO-8601
}

export interface EnvironmentRecord {
  service: string;
  name: string;
  currentVersion: string | null;
  currentReleaseId: string | null;
  updatedAt: string;
}

export interface VersionRecord {
  service: string;
  version: string;
  /** 'dir': an unpacked artifact directory under the data dir; 'image': a container image reference. */
  artifactKind: 'dir' | 'image';
  /** Directory path (relative to the data dir) or image reference. */
  artifactRef: string;
  sha256: string | null;
  sizeBytes: number | null;
  /** Git ref and commit this version was built from, when known. */
  gitRef: string | null;
  gitCommit: string | null;
  createdAt: string;
}

export interface ServiceRepo {
  upsert(name: string): Promise<void>;
  list(): Promise<ServiceRecord[]>;
}

export interface EnvironmentRepo {
  /** Creates the row if missing (current version null); never overwrites an existing current version. */
  ensure(service: string, name: string): Promise<void>;
  get(service: string, name: string): Promise<EnvironmentRecord | undefined>;
  list(service: string): Promise<EnvironmentRecord[]>;
}

export interface VersionRepo {
  /** Inserts; throws if (service, version) exists. */
  create(v: Omit<VersionRecord, 'createdAt'>): Promise<VersionRecord>;
  get(service: string, version: string): Promise<VersionRecord | undefined>;
  list(service: string, limit?: number): Promise<VersionRecord[]>;
  /** Records when a commit was made (ISO-8601); the first time recorded for a commit stays. */
  recordCommitTime(service: string, commit: string, committedAt: string): Promise<void>;
  /** Commit times recorded, newest commit first. */
  commitTimes(service: string, limit: number): Promise<Array<{ commit: string; committedAt: string }>>;
}
