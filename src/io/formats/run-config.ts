import { UserError } from '../../errors.js';
import { ioMessages } from '../../messages/io.js';
import type { TrainConfig } from '../../config/train-config.js';
import { obj } from '../json-values.js';
import { readJsonFile, type JsonFormat } from './json-file.js';

export const RUN_CONFIG_FORMAT: JsonFormat = { what: 'training configuration (config.json)', writer: '`xbm-drift train`', schemaVersion: 1 };

/**
 * config.json for readers outside the trainer (report, sweep table, warmup verb): the TrainConfig
 * the trainer wrote, whose fields are read where used (a config of an older version may lack
 * some). null when absent; invalid JSON or a non-object is a one-line UserError naming the file.
 */
export function readRunConfig(path: string): Partial<TrainConfig> | null {
  const raw = readJsonFile(path, RUN_CONFIG_FORMAT);
  if (raw === null) return null;
  if (!obj(raw)) throw new UserError(ioMessages.notJsonObject(path, RUN_CONFIG_FORMAT.what, RUN_CONFIG_FORMAT.writer));
  return raw as Partial<TrainConfig>;
}
