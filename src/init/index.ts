// `gantry init`: a starter gantry.yaml for the project in a directory and, optionally, its CI workflow.
export { detectProject, PLACEHOLDER_COMMAND, toServiceName } from './detect.ts';
export { CONFIG_FILE, InitError, initProject } from './init-project.ts';
export { SCHEMA_FROM_SERVER } from './package-info.ts';
export { renderConfig } from './render-config.ts';
export { renderWorkflow, VERSION_SCRIPT, WORKFLOW_FILE } from './render-workflow.ts';
export type * from './types.ts';
