// Synthetic checks run by Gantry itself on a schedule; their results are alarm metrics.
export {
  createSyntheticsRunner,
  failuresMetric,
  latencyMetric,
  type SyntheticResult,
  type SyntheticStatus,
  type SyntheticsRunner,
  type SyntheticsRunnerOptions,
} from './runner.ts';
