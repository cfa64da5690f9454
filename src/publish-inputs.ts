// Where the tokens go besides the step outputs: export-env and token-file.
import type { InputReader } from './input-values.js';
import { readBoolean } from './input-values.js';

export interface PublishInputs {
  exportEnv: boolean;
  tokenFile: boolean;
}

export function parsePublishInputs(read: InputReader): PublishInputs {
  return { exportEnv: readBoolean(read, 'export-env', false), tokenFile: readBoolean(read, 'token-file', false) };
}
