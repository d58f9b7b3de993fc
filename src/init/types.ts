// What `gantry init` learned about a project, and what it writes from that.

/** The toolchain the generated workflow tests, builds and scans with. */
export type Stack = 'node' | 'python' | 'other';

/** Where the run command came from; 'none' means a placeholder the user must replace. */
export type CommandSource = 'procfile' | 'start-script' | 'main-field' | 'entry-file' | 'fastapi' | 'none';

export interface HealthPaths {
  liveness?: string;
  readiness?: string;
}

export interface NodeFacts {
  /** package-lock.json or npm-shrinkwrap.json: `npm ci` works and setup-node can cache. */
  lockfile: boolean;
  /** A real `test` script (not npm's "no test specified" placeholder). */
  testScript: boolean;
  buildScript: boolean;
}

export interface PythonFacts {
  requirements: boolean;
  pyproject: boolean;
  /** A tests/ folder or test_*.py files: pytest has something to run. */
  tests: boolean;
}

export interface DockerfileFacts {
  /** The first port the final stage EXPOSEs. */
  exposedPort?: number;
}

/** How the service runs: a directory artifact as a process, or an image as a container. */
export type InitRuntime = 'process' | 'docker';

export interface ProjectFacts {
  stack: Stack;
  service: string;
  serviceSource: 'option' | 'package.json' | 'pyproject.toml' | 'directory' | 'default';
  command: string;
  commandSource: CommandSource;
  /** Set when the command needs more time to stop gracefully than the default. */
  stopTimeout?: string;
  env: Record<string, string>;
  health: HealthPaths;
  node?: NodeFacts;
  python?: PythonFacts;
  /** Present when the project has a Dockerfile. */
  dockerfile?: DockerfileFacts;
  /** What the user should check or finish by hand, in words. */
  warnings: string[];
}

export type CiProvider = 'github';

export interface InitOptions {
  /** Project directory (default: the current directory). */
  dir: string;
  ci?: CiProvider;
  /** Default: docker when the project has a Dockerfile, else process. */
  runtime?: InitRuntime;
  force: boolean;
  service?: string;
}

export interface WrittenFile {
  /** Relative to the project directory, with `/` separators. */
  path: string;
  what: string;
  /** true when an existing file was replaced (--force). */
  replaced: boolean;
}

/** What runs the service, as written into gantry.yaml and the workflow. */
export interface RuntimeChoice {
  runtime: InitRuntime;
  /** Runtime docker: the repository of run.image (a placeholder to replace). */
  image?: string;
  /** Runtime docker: run.port. */
  containerPort?: number;
}

export interface InitResult {
  dir: string;
  facts: ProjectFacts;
  choice: RuntimeChoice;
  written: WrittenFile[];
  next: string[];
}
